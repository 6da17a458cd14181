from sqlalchemy import func, select

from resonance.registry.db import current_revision, head_revision
from resonance.registry.models import Industry


def test_migration_seeds_the_twenty_industries_in_the_notice_order(registry):
    assert current_revision(registry.engine) == head_revision()
    with registry.session() as s:
        names = s.scalars(select(Industry.name_zh).order_by(Industry.position)).all()
        assert s.scalar(select(func.count()).select_from(Industry)) == 20
    assert names[0] == "钢铁"
    assert names[4] == "工业母机"
    assert names[13] == "历史经典"
    assert names[-1] == "网络安全"
