"""What the determinism checker (``determinism``) knows of the standard library, the Temporal SDK and
common libraries: which calls are non-deterministic or not replay-safe in workflow code, which are
pure, which take a callback the workflow runs, and how loggers are spelled."""

from __future__ import annotations

# Exact qualified names (resolved through imports and aliases) and what they are.
EXACT: dict[str, str] = {
    "datetime.datetime.now": "clock", "datetime.datetime.utcnow": "clock", "datetime.datetime.today": "clock",
    "datetime.date.today": "clock", "time.localtime": "clock",
    "pendulum.now": "clock", "pendulum.today": "clock", "pendulum.yesterday": "clock",
    "pendulum.tomorrow": "clock", "arrow.now": "clock", "arrow.utcnow": "clock",
    "time.time": "time", "time.time_ns": "time", "time.monotonic": "time", "time.monotonic_ns": "time",
    "time.perf_counter": "time", "time.perf_counter_ns": "time", "time.process_time": "time",
    "time.process_time_ns": "time", "time.thread_time": "time", "time.thread_time_ns": "time",
    "time.sleep": "sleep", "select.select": "sleep",
    "os.urandom": "random",
    "uuid.uuid1": "uuid", "uuid.uuid4": "uuid", "uuid.uuid7": "uuid", "uuid.uuid6": "uuid", "uuid.getnode": "uuid",
    "ulid.new": "uuid", "ulid.ulid": "uuid", "shortuuid.uuid": "uuid", "nanoid.generate": "uuid",
    "asyncio.to_thread": "thread", "asyncio.run_coroutine_threadsafe": "thread",
    "asyncio.wait": "asyncio-wait", "asyncio.as_completed": "asyncio-wait",
    "io.open": "io", "codecs.open": "io", "pathlib.Path.cwd": "io", "pathlib.Path.home": "io",
    "getpass.getuser": "os", "platform.node": "os",
    "os.getenv": "env", "os.getenvb": "env", "os.putenv": "env", "os.unsetenv": "env",
    "os.path.expanduser": "env", "os.path.expandvars": "env",
    "requests.get": "network", "requests.post": "network", "requests.put": "network", "requests.patch": "network",
    "requests.delete": "network", "requests.head": "network", "requests.options": "network",
    "requests.request": "network", "requests.Session": "network", "requests.session": "network",
    "httpx.get": "network", "httpx.post": "network", "httpx.put": "network", "httpx.patch": "network",
    "httpx.delete": "network", "httpx.head": "network", "httpx.options": "network", "httpx.request": "network",
    "httpx.stream": "network", "httpx.Client": "network", "httpx.AsyncClient": "network",
    "aiohttp.ClientSession": "network", "aiohttp.request": "network",
    "urllib.request.urlopen": "network", "urllib.request.urlretrieve": "network",
    "urllib.request.build_opener": "network", "urllib3.PoolManager": "network", "urllib3.request": "network",
    "psycopg2.connect": "db", "psycopg.connect": "db", "psycopg.AsyncConnection.connect": "db",
    "psycopg.Connection.connect": "db", "psycopg_pool.ConnectionPool": "db", "psycopg_pool.AsyncConnectionPool": "db",
    "asyncpg.connect": "db", "asyncpg.create_pool": "db", "sqlite3.connect": "db", "pymysql.connect": "db",
    "aiomysql.connect": "db", "aiomysql.create_pool": "db", "mysql.connector.connect": "db",
    "sqlalchemy.create_engine": "db", "sqlalchemy.ext.asyncio.create_async_engine": "db",
    "redis.Redis": "db", "redis.StrictRedis": "db", "redis.from_url": "db", "redis.asyncio.Redis": "db",
    "redis.asyncio.from_url": "db", "pymongo.MongoClient": "db", "motor.motor_asyncio.AsyncIOMotorClient": "db",
    "elasticsearch.Elasticsearch": "db", "elasticsearch.AsyncElasticsearch": "db",
    "kafka.KafkaProducer": "network", "kafka.KafkaConsumer": "network", "aiokafka.AIOKafkaProducer": "network",
    "pika.BlockingConnection": "network", "aio_pika.connect": "network", "aio_pika.connect_robust": "network",
    "temporalio.client.Client.connect": "client",
    "print": "print", "pprint.pprint": "print", "pprint.pp": "print", "rich.print": "print",
    "sys.stdout.write": "print", "sys.stderr.write": "print",
    "open": "io", "input": "io",
}
# Every call into these modules.
MODULES: dict[str, str] = {
    "random": "random", "secrets": "random", "numpy.random": "random",
    "threading": "thread", "concurrent.futures": "thread", "multiprocessing": "thread",
    "subprocess": "process", "socket": "network", "http.client": "network", "smtplib": "network",
    "ftplib": "network", "imaplib": "network", "poplib": "network", "webbrowser": "network",
    "boto3": "network", "aioboto3": "network", "shutil": "io", "tempfile": "io", "glob": "io",
    "temporalio.activity": "activity", "os": "os",
}
# ...except these, which are deterministic (or, for seeded generators, only with arguments).
PURE = frozenset({
    "secrets.compare_digest", "os.fspath", "os.fsencode", "os.fsdecode", "os.path.join", "os.path.basename",
    "os.path.dirname", "os.path.split", "os.path.splitext", "os.path.splitdrive", "os.path.normpath",
    "os.path.normcase", "os.path.isabs", "os.path.commonprefix", "os.path.commonpath",
    "temporalio.activity.defn", "temporalio.activity.in_activity",
})
SEEDED = frozenset({
    "random.Random", "numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator",
    "numpy.random.seed", "numpy.random.SeedSequence", "numpy.random.PCG64", "numpy.random.MT19937",
    "ulid.ULID",
})
# Wall-clock readers only when called without the time value to format.
NOW_WITHOUT_ARGS = {"time.gmtime": 0, "time.ctime": 0, "time.asctime": 0, "time.strftime": 1}
BUILTINS = frozenset({
    "open", "input", "print", "set", "frozenset", "list", "tuple", "enumerate", "iter", "zip", "sorted", "sum",
    "any", "all", "min", "max", "len",
})

PATH_CLASSES = frozenset({"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"})
PATH_IO = frozenset({
    "open", "read_text", "read_bytes", "write_text", "write_bytes", "exists", "is_file", "is_dir", "mkdir",
    "rmdir", "unlink", "touch", "glob", "rglob", "iterdir", "stat", "lstat", "resolve", "owner", "group",
    "chmod", "rename", "replace", "samefile", "expanduser", "readlink", "symlink_to", "hardlink_to",
    "is_symlink", "walk", "absolute",
})
PATH_PURE = frozenset({"parent", "with_suffix", "with_name", "with_stem", "joinpath", "relative_to"})

LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"})
LOGGER_FACTORIES = frozenset({
    "logging.getLogger", "structlog.get_logger", "structlog.getLogger", "structlog.stdlib.get_logger",
    "loguru.logger.bind", "loguru.logger.opt",
})
LOGGER_OBJECTS = frozenset({"loguru.logger", "logging.root", "temporalio.activity.logger"})

# Workflow APIs that call a function passed to them in the workflow: the argument's position.
CALLBACK_TAKERS = {
    "temporalio.workflow.set_signal_handler": 1, "temporalio.workflow.set_query_handler": 1,
    "temporalio.workflow.set_update_handler": 1, "temporalio.workflow.set_dynamic_signal_handler": 0,
    "temporalio.workflow.set_dynamic_query_handler": 0, "temporalio.workflow.set_dynamic_update_handler": 0,
    "temporalio.workflow.wait_condition": 0,
}


def module_of(name: str) -> str | None:
    """The entry of ``MODULES`` that ``name`` is a call into (longest match), or None."""
    parts = name.split(".")
    for end in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:end])
        if module in MODULES:
            return module
    return None
