"""Who takes part: organisations with their roles, spaces (模数共振空间) and innovation consortia (创新联合体)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from resonance.registry.models.action import Industry
from resonance.registry.models.base import Base, Timestamped

space_industries = Table(
    "space_industries",
    Base.metadata,
    Column("space_id", ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
    Column("industry_id", ForeignKey("industries.id", ondelete="RESTRICT"), primary_key=True),
)


class Organisation(Timestamped, Base):
    """An enterprise or institution; ``uscc`` is its unified social credit code (统一社会信用代码)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True, nullable=True)
    entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_entities.id", ondelete="SET NULL"), index=True, nullable=True
    )
    contact: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    public_key: Mapped[str | None] = mapped_column(String(120), nullable=True)

    roles: Mapped[list[OrganisationRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OrganisationRole.role"
    )

    @property
    def role_names(self) -> list[str]:
        return [r.role for r in self.roles]


class OrganisationRole(Base):
    """A business role of an organisation (vocabulary ``organisation_role``: compute, model, data, …)."""

    __tablename__ = "organisation_roles"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class Space(Timestamped, Base):
    """A 模数共振空间, run by a neutral third party or a leading enterprise (``operator_type``)."""

    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    entity_id: Mapped[int] = mapped_column(ForeignKey("action_entities.id", ondelete="RESTRICT"), index=True)
    operator_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    operator_type: Mapped[str] = mapped_column(String(40))  # vocabulary space_operator_type
    url: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(30), default="building")  # vocabulary space_status
    description: Mapped[str] = mapped_column(Text, default="")

    industries: Mapped[list[Industry]] = relationship(
        secondary=space_industries, order_by=Industry.position, lazy="selectin"
    )
    members: Mapped[list[SpaceMember]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class SpaceMember(Base):
    __tablename__ = "space_members"

    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)  # vocabulary space_member_role

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Consortium(Timestamped, Base):
    """A 模数共振创新联合体 of compute, model, data and application companies for one industry."""

    __tablename__ = "consortia"
    __table_args__ = (UniqueConstraint("entity_id", "name_zh"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    entity_id: Mapped[int] = mapped_column(ForeignKey("action_entities.id", ondelete="RESTRICT"), index=True)
    industry_id: Mapped[int] = mapped_column(ForeignKey("industries.id", ondelete="RESTRICT"), index=True)
    lead_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")

    members: Mapped[list[ConsortiumMember]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class ConsortiumMember(Base):
    __tablename__ = "consortium_members"

    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortia.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)  # compute | model | data | application

    organisation: Mapped[Organisation] = relationship(lazy="joined")
