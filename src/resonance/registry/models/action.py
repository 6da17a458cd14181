"""The action itself: the 20 industries, the action entities (provinces, central enterprises), key cities."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from resonance.registry.models.base import Base, Timestamped

entity_industries = Table(
    "entity_industries",
    Base.metadata,
    Column("entity_id", ForeignKey("action_entities.id", ondelete="CASCADE"), primary_key=True),
    Column("industry_id", ForeignKey("industries.id", ondelete="RESTRICT"), primary_key=True),
)


class Industry(Base):
    """One of the notice's 20 industries; ``position`` keeps the notice's order. Seeded by migration."""

    __tablename__ = "industries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, unique=True)


class ActionEntity(Timestamped, Base):
    """A province-level region (省级地区) or a central enterprise (中央企业) taking part in the action."""

    __tablename__ = "action_entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(30))  # vocabulary entity_kind: province | central_enterprise
    has_pilot_zone_or_base: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")

    industries: Mapped[list[Industry]] = relationship(
        secondary=entity_industries, order_by=Industry.position, lazy="selectin"
    )
    key_cities: Mapped[list[KeyCity]] = relationship(
        back_populates="entity", cascade="all, delete-orphan", lazy="selectin"
    )


class KeyCity(Timestamped, Base):
    """A 重点城市 (task 7, provinces only); districts of municipalities count as cities."""

    __tablename__ = "key_cities"
    __table_args__ = (UniqueConstraint("entity_id", "name_zh"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("action_entities.id", ondelete="CASCADE"), index=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    in_pilot_zone_or_base: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")

    entity: Mapped[ActionEntity] = relationship(back_populates="key_cities")
