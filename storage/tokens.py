"""Personal API tokens in the database: the SHA-256 of each secret (never the secret), its
owner, lifetime and last use, and its request count in the current one-minute window — kept on
the token's row, so every server process counts the same requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, bindparam, case, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.ports import ApiToken
from storage.driver import run
from storage.models import Base, UtcDateTime


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), ForeignKey("users.username"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    window_count: Mapped[int] = mapped_column(Integer, default=0)


Row = ApiTokenRow


class SqlApiTokenRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, token: ApiToken) -> None:
        self.session.add(Row(id=token.id, username=token.username, name=token.name, secret_hash=token.secret_hash,
                             created_at=token.created_at, expires_at=token.expires_at,
                             last_used_at=token.last_used_at, revoked_at=token.revoked_at, window_count=0))
        self.session.flush()

    def get(self, token_id: str) -> ApiToken | None:
        return _token(self.session.get(Row, token_id))

    def by_hash(self, secret_hash: str) -> ApiToken | None:
        row = run(self.session, _BY_HASH, {"secret_hash": secret_hash}).first()
        return _token(row)

    def for_user(self, username: str) -> list[ApiToken]:
        rows = self.session.scalars(select(Row).where(Row.username == username)
                                    .order_by(Row.created_at.desc(), Row.id.desc()))
        return [_token(row) for row in rows]

    def revoke(self, token_id: str, at: datetime) -> None:
        self.session.execute(update(Row).where(Row.id == token_id, Row.revoked_at.is_(None)).values(revoked_at=at)
                             .execution_options(synchronize_session=False))

    def count_use(self, token_id: str, now: datetime, window_start: datetime, touch_before: datetime) -> int:
        return run(self.session, _COUNT, {"_id": token_id, "now": now, "window_start": window_start,
                                                          "touch_before": touch_before}).scalar() or 0


def _token(row: Row | None) -> ApiToken | None:
    if row is None:
        return None
    return ApiToken(row.id, row.username, row.name, row.secret_hash, row.created_at, row.expires_at,
                    row.last_used_at, row.revoked_at)


_T = Row.__table__
_BY_HASH = select(_T).where(_T.c.secret_hash == bindparam("secret_hash"))
_WS = bindparam("window_start", type_=UtcDateTime())
_NOW = bindparam("now", type_=UtcDateTime())
_TB = bindparam("touch_before", type_=UtcDateTime())
_COUNT = (update(_T).where(_T.c.id == bindparam("_id"))
          .values(window_count=case((_T.c.window_start >= _WS, _T.c.window_count + 1), else_=1),
                  window_start=case((_T.c.window_start >= _WS, _T.c.window_start), else_=_WS),
                  last_used_at=case((or_(_T.c.last_used_at.is_(None), _T.c.last_used_at <= _TB), _NOW),
                                    else_=_T.c.last_used_at))
          .returning(_T.c.window_count))
