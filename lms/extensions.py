"""Flask extensions, created unbound here and bound in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
# Batch mode lets later migrations alter tables on SQLite too.
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
# Limits are per client address; storage from RATELIMIT_STORAGE_URI ("memory://" on one process,
# e.g. "redis://host:6379" when several processes or hosts must share the counts).
limiter = Limiter(key_func=get_remote_address)


@event.listens_for(Engine, "savepoint")
def _sqlite_savepoint_inside_a_transaction(connection, name) -> None:
    """pysqlite starts a transaction only before a data-changing statement, so a SAVEPOINT that comes first
    would open the transaction itself, and releasing it would commit everything. Open the transaction first:
    a savepoint then stays a part of the request's one unit of work on SQLite as on PostgreSQL."""
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


def core_connection():
    """The session's connection, for small column-only reads that need no ORM objects (a third of the cost of such a
    query is the ORM's). Pending ORM changes are flushed first, as the ORM's own autoflush would do."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()
