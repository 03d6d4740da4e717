"""Temporal packages of the synthetic monorepo, and the ordinary packages they import."""

from __future__ import annotations

from synthetic_base import (
    MODULE_NAMES,
    NOUNS,
    SUPPORT_NEEDED_FILES,
    SUPPORT_PER_TEMPORAL,
    VERBS,
    Module,
    Support,
    WorkerSpec,
    call_text,
    camel,
)
from synthetic_python import PythonWriter


class TemporalWriter(PythonWriter):
    """Writes the Temporal groups: activities, workflows, settings, factories, workers, entrypoints."""

    def support_package(self, service: str, path: str, dotted: str, domain: str, unneeded: int,
                        drain_seconds: int, chained_limits: bool = True) -> Support:
        """The ordinary package a Temporal group imports (none of it mentions Temporal): the modules an
        analysis needs a name from, and ``unneeded`` modules imported for unrelated names.

        Needed: ``limits`` (an activity timeout and a worker option; with ``chained_limits`` their
        values are imported from ``defaults``, which is then needed too), ``runtime_config`` (a
        dataclass settings object with the drain, when the worker takes its drain from it) and a pure
        call chain three modules deep (``naming.workflow_label`` -> ``keys.scoped_key`` -> ``text.slug``)
        that workflow code calls. Which of them the group's Temporal code really needs is decided by
        ``next_group_needs``; the others are imported for names no analysis reads.
        Unneeded: ordinary modules in a binary tree (module ``i`` imports
        modules ``2i+1`` and ``2i+2``), of which the Temporal modules import the first three."""
        rng = self.rng
        base_timeout = rng.choice((10, 30, 60, 120, 300))
        max_activities = rng.choice((5, 10, 20, 50, 100))

        def put(name: str, lines: list[str]) -> None:
            self.put(f"{path}/{name}.py", "\n".join(lines), "python_support")

        self.put(f"{path}/__init__.py", f'"""The {domain.replace("_", " ")} domain of {service}."""',
                 "python_support")
        put("defaults", [f'"""Defaults of the {domain.replace("_", " ")} domain; override per deployment."""', "",
                         f"BASE_TIMEOUT_S = {base_timeout}", f"MAX_ACTIVITIES = {max_activities}",
                         f"PAGE_SIZE = {rng.choice((25, 50, 100))}",
                         f'REGION = "{self.pick(("eu-west-1", "us-east-1", "ap-south-1"))}"'])
        values = ([f"from {dotted}.defaults import BASE_TIMEOUT_S, MAX_ACTIVITIES", "",
                   "ACTIVITY_TIMEOUT_S = BASE_TIMEOUT_S", "MAX_CONCURRENT_ACTIVITIES = MAX_ACTIVITIES"]
                  if chained_limits else
                  [f"ACTIVITY_TIMEOUT_S = {base_timeout}", f"MAX_CONCURRENT_ACTIVITIES = {max_activities}"])
        put("limits", [f'"""Limits of the {domain.replace("_", " ")} processing."""', "", *values,
                       f"RETRY_BACKOFF_S = {rng.choice((1, 2, 5))}"])
        put("runtime_config", [f'"""Runtime configuration of the {domain.replace("_", " ")} processing."""', "",
                               "from __future__ import annotations", "", "from dataclasses import dataclass", "", "",
                               "@dataclass(frozen=True)", "class WorkerSettings:",
                               '    """Settings of the worker process; the defaults are the production values."""',
                               "", f"    DRAIN_SECONDS: int = {drain_seconds}",
                               f"    POLL_INTERVAL_S: float = {rng.choice(('0.5', '1.0', '2.0'))}",
                               f'    LOG_LEVEL: str = "{self.pick(("INFO", "WARNING"))}"', "", "",
                               "worker_settings = WorkerSettings()"])
        put("text", ['"""Text helpers: pure functions."""', "", "", "def slug(value: str) -> str:",
                     '    """Lower case words joined by dashes."""',
                     '    words = str(value).lower().replace("_", " ").split()',
                     '    return "-".join(word for word in words if word.isalnum() or "-" in word)'])
        put("keys", ['"""Keys of stored and scheduled things."""', "", f"from {dotted}.text import slug", "", "",
                     "def scoped_key(scope: str, value: str) -> str:",
                     '    """``scope:value`` with both parts as slugs."""',
                     '    return f"{slug(scope)}:{slug(value)}"'])
        put("naming", ['"""Names of workflows and their runs."""', "", f"from {dotted}.keys import scoped_key", "",
                       "", "def workflow_label(entity_id: str) -> str:",
                       '    """The label a workflow run of this domain carries."""',
                       f'    return scoped_key("{domain}", entity_id)'])
        names = [n for n in MODULE_NAMES if n not in ("config",)]
        chosen = rng.sample(names, min(unneeded, len(names)))
        mods = [Module(service, f"{path}/{n}.py", f"{dotted}.{n}", "module") for n in chosen]
        for i in reversed(range(len(mods))):  # leaves first: a module imports names its children export
            children = [mods[j] for j in (2 * i + 1, 2 * i + 2) if j < len(mods)]
            self.put(mods[i].path, self.ordinary_module(mods[i], children, service, every=True), "python_support")
        return Support(dotted, mods, base_timeout, max_activities)

    def next_group_needs(self) -> tuple[bool, bool, bool]:
        """What the next Temporal group's code needs from its support package: whether it needs names
        of it at all, whether its ``limits`` values come from ``defaults``, whether its workflow code
        calls the helper chain.

        ``need_share`` of the groups need names, spread evenly (the first group is one): their
        workflows take an activity timeout and their worker an option from ``limits``. The other groups
        write the same values as literals, and only their worker imports ``limits``, for a name no
        analysis reads. Of the groups that need names, one in three chains ``limits`` to ``defaults``
        and one in four (the first) calls the chain from workflow code; the others call it from a helper
        of the activity module (imported, never needed). Workflow code calling project helpers three
        modules deep is the exception in real code: the sandbox makes every import a cost. The choice
        comes from the group's index, not from ``rng``, so every other file is the same at any share."""
        needs = (self.groups * self.need_share) % 1 < self.need_share
        need_index = self.needing_groups
        self.groups += 1
        self.needing_groups += needs
        return needs, needs and need_index % 3 == 0, needs and need_index % 4 == 0

    def _unrelated_import(self, support: Support, index: int) -> list[str]:
        """``from <unneeded module> import <name>``: an import no analysis needs."""
        if index >= len(support.unneeded):
            return []
        mod = support.unneeded[index]
        return [f"from {mod.dotted} import {mod.exports[0]}"] if mod.exports else []

    def temporal_group(self, service: str, base_path: str, base_dotted: str, domain: str, budget: int,
                       support_room: int, has_shutdown_lib: bool) -> tuple[list[str], WorkerSpec, int]:
        """Write one Temporal package of ``budget`` (4-7) files and return their paths, its worker and
        how many ordinary support modules it wrote.

        Always: ``__init__``, ``activities``, ``workflows``, ``worker``; then, as the budget allows, a
        settings module, a worker factory (or ``Worker`` subclass) and a separate entrypoint. Beside it,
        an ordinary package (``support_package``) that its Temporal modules import: about
        ``SUPPORT_PER_TEMPORAL`` ordinary modules per Temporal module (its settings module included),
        fewer when ``support_room`` (files left for such packages) is short."""
        rng = self.rng
        written: list[str] = []
        extras = budget - 4
        with_settings = extras >= 2 or (extras == 1 and rng.random() < 0.6)
        with_factory = extras == 3 or (extras == 2 and rng.random() < 0.4)
        with_entry = extras - with_settings - with_factory == 1
        settings_name = self.pick(("settings", "config", "constants"))
        if with_factory:
            style = self.pick(("factory", "subclass"))
        else:
            style = self.pick(("direct", "direct", "direct_missing", "kwargs_dict", "env_default", "env_required",
                               "alias", "opaque", "settings_object", "settings_object")
                              + (("settings_const", "settings_const") if with_settings else ()))
        entry = self.pick(("dunder_main", "main_script")) if with_entry else "worker_main"
        signals = self.pick(("add_signal_handler", "add_signal_handler", "signal_signal", "none", "none")
                            + (("shared_lib",) if has_shutdown_lib else ()))
        minutes = rng.choice((1, 2, 5, 5, 10, 15, 30))
        seconds = minutes * 60
        drain: int | None = seconds
        env_drain: str | None = None
        env_prefix = f"{service.upper()}_{domain.upper()}"
        env_name = f"{env_prefix}_DRAIN_SECONDS"
        tq = f"{service}-{domain}".replace("_", "-")
        # The ordinary package beside the group: about SUPPORT_PER_TEMPORAL modules per Temporal module.
        temporal_modules = 3 + with_factory  # activities, workflows, worker (and factory) import temporalio
        wanted = SUPPORT_PER_TEMPORAL * temporal_modules - with_settings - SUPPORT_NEEDED_FILES
        needs, chained_limits, chain_in_workflow = self.next_group_needs()
        support = self.support_package(service, f"{base_path.rsplit('/', 1)[0]}/{domain}",
                                       f"{base_dotted.rsplit('.', 1)[0]}.{domain}", domain,
                                       max(0, min(wanted, support_room - SUPPORT_NEEDED_FILES)), seconds,
                                       chained_limits=chained_limits)
        support_files = SUPPORT_NEEDED_FILES + len(support.unneeded)

        def write(name: str, text: str, kind: str = "python_temporal") -> None:
            self.put(f"{base_path}/{name}", text, kind)
            written.append(f"{base_path}/{name}")

        # __init__.py
        write("__init__.py", f'"""Temporal workflows and activities of {service} ({domain.replace("_", " ")})."""\n')

        # activities.py
        acts = list(dict.fromkeys(f"{self.pick(VERBS)}_{self.pick(NOUNS)}" for _ in range(rng.randint(4, 14))))
        noun = domain
        lines = [f'"""Activities of the {service} {domain} worker."""', "", "from __future__ import annotations", "",
                 "import logging", "from dataclasses import dataclass", "from typing import Any", "",
                 "from temporalio import activity", "from temporalio.exceptions import ApplicationError"]
        lines += self._unrelated_import(support, 0)
        if not chain_in_workflow:
            lines.append(f"from {support.dotted}.naming import workflow_label")
        lines += ["", "logger = logging.getLogger(__name__)", "", "", "@dataclass",
                  f"class {camel(noun)}Input:", f"    {noun}_id: str", "    tenant_id: str", "    attempt: int = 0",
                  "    payload: dict[str, Any] | None = None"]
        if not chain_in_workflow:
            lines += ["", "", f"def _label(params: {camel(noun)}Input) -> str:",
                      f"    return workflow_label(params.{noun}_id)"]
        for act in acts:
            kind = rng.randrange(3)
            lines += ["", "", "@activity.defn", f"async def {act}(params: {camel(noun)}Input) -> dict[str, Any]:"]
            lines += self.docstring("    ", act)
            if kind == 0:
                lines += [f"    activity.heartbeat(params.{noun}_id)",
                          f'    logger.info("{act} for %s", params.{noun}_id)',
                          f'    return {{"id": params.{noun}_id, "status": "done"}}']
            elif kind == 1:
                lines += ["    info = activity.info()", "    if info.attempt > 5:",
                          f'        raise ApplicationError("giving up on {act}", non_retryable=True)',
                          "    result: dict[str, Any] = {}",
                          "    for key, value in (params.payload or {}).items():",
                          "        activity.heartbeat(key)", "        result[key] = value",
                          "    return result"]
            else:
                lines += self.body("    ", ["params"], [])
        write("activities.py", "\n".join(lines))

        # workflows.py
        lines = [f'"""Workflows of the {service} {domain} worker."""', "", "from __future__ import annotations", "",
                 "from datetime import timedelta", "", "from temporalio import workflow",
                 "from temporalio.common import RetryPolicy", "",
                 *([f"from {support.dotted} import limits"] if needs else []),
                 *([f"from {support.dotted}.naming import workflow_label"] if chain_in_workflow else []), "",
                 "with workflow.unsafe.imports_passed_through():",
                 f"    from {base_dotted}.activities import {camel(noun)}Input, {', '.join(acts[:4])}",
                 *("    " + line for line in self._unrelated_import(support, 1)), ""]
        wfs: list[str] = []
        for n in range(rng.randint(1, 4)):
            wf = f"{camel(self.pick(VERBS))}{camel(noun)}Workflow" + (str(n) if n else "")
            wfs.append(wf)
            lines += ["", "@workflow.defn", f"class {wf}:", "    def __init__(self) -> None:",
                      '        self._status = "pending"', "", "    @workflow.run",
                      f"    async def run(self, params: {camel(noun)}Input) -> str:",
                      *([f"        self._status = workflow_label(params.{noun}_id)"] if chain_in_workflow else [])]
            for k, act in enumerate(acts[: rng.randint(1, min(4, len(acts)))]):
                first = "limits.ACTIVITY_TIMEOUT_S" if needs else str(support.activity_timeout_s)
                timeout = first if k == 0 else str(rng.choice((10, 30, 60, 300)))
                lines += ["        await workflow.execute_activity(",
                          f"            {act},", "            params,",
                          f"            start_to_close_timeout=timedelta(seconds={timeout}),",
                          f"            retry_policy=RetryPolicy(maximum_attempts={rng.randint(3, 10)}),",
                          "        )"]
            lines += ['        self._status = "done"', f"        return params.{noun}_id", "",
                      "    @workflow.signal", "    def cancel(self) -> None:", '        self._status = "cancelled"', "",
                      "    @workflow.query", "    def status(self) -> str:", "        return self._status", ""]
        write("workflows.py", "\n".join(lines))

        # settings / config / constants
        if with_settings:
            drain_expr = self.pick(("minutes", "seconds", "product", "env"))
            if drain_expr == "minutes":
                expr = f"timedelta(minutes={minutes})"
            elif drain_expr == "seconds":
                expr = f"timedelta(seconds={seconds})"
            elif drain_expr == "product" and minutes % 2 == 0:
                expr = f"timedelta(minutes={minutes // 2}) * 2"
            else:
                expr = f'timedelta(seconds=int(os.getenv("{env_name}", "{seconds}")))'
                if style == "settings_const":
                    env_drain = env_name
            lines = [f'"""Configuration of the {domain} worker."""', "", "import os",
                     "from datetime import timedelta", "",
                     f'TASK_QUEUE = os.environ.get("{env_prefix}_TASK_QUEUE", "{tq}")',
                     'TEMPORAL_ADDRESS = os.environ.get("TEMPORAL_ADDRESS", "temporal-frontend.temporal:7233")',
                     'TEMPORAL_NAMESPACE = os.environ.get("TEMPORAL_NAMESPACE", "default")',
                     f"DRAIN_TIMEOUT = {expr}",
                     f"MAX_CONCURRENT_ACTIVITIES = {rng.choice((10, 20, 50, 100, 200))}",
                     f"MAX_CACHED_WORKFLOWS = {rng.choice((100, 500, 1000))}"]
            write(f"{settings_name}.py", "\n".join(lines))
        cfg = f"{settings_name}." if with_settings else ""
        tq_expr = f"{cfg}TASK_QUEUE" if with_settings else f'"{tq}"'
        addr_expr = (f"{cfg}TEMPORAL_ADDRESS" if with_settings
                     else 'os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")')

        # factory.py
        factory_import = ""
        if with_factory:
            timeout_in_factory = rng.random() < 0.7
            if not timeout_in_factory:
                drain = None
            gst = [f"graceful_shutdown_timeout={settings_name}.DRAIN_TIMEOUT"] if timeout_in_factory else []
            lines = [f'"""How {service} builds its Temporal workers."""', "", "from __future__ import annotations", "",
                     "from typing import Any", "", "from temporalio.client import Client",
                     "from temporalio.worker import Worker", "", f"from {base_dotted} import {settings_name}",
                     *self._unrelated_import(support, 2), "", ""]
            if style == "factory":
                lines += ["def build_worker(client: Client, **options: Any) -> Worker:",
                          '    """A Worker with the service defaults; callers pass the task queue and code."""',
                          "    return " + call_text("Worker", ["client", *gst, f"max_concurrent_activities="
                                                  f"{settings_name}.MAX_CONCURRENT_ACTIVITIES", "**options"], "    ")]
                factory_import = f"from {base_dotted}.factory import build_worker"
            else:
                lines += ["class DrainingWorker(Worker):",
                          '    """A Worker that lets running activities finish on shutdown."""', "",
                          "    def __init__(self, client: Client, **kwargs: Any) -> None:",
                          "        " + call_text("super().__init__", ["client", *gst, "**kwargs"], "        ")]
                factory_import = f"from {base_dotted}.factory import DrainingWorker"
            write("factory.py", "\n".join(lines))

        # worker.py
        imports = ["import asyncio", "import logging", "import os"]
        if signals in ("add_signal_handler", "signal_signal"):
            imports.append("import signal")
        imports += ["from datetime import timedelta", "", "from temporalio.client import Client"]
        if style == "alias":
            imports.append("import temporalio.worker as tw")
        elif style not in ("factory", "subclass"):
            imports.append("from temporalio.worker import Worker")
        if style == "opaque":
            imports.append("from django.conf import settings as django_settings")
        imports.append("")
        rel = rng.random() < 0.4
        pre = "." if rel else f"{base_dotted}."
        imports.append(f"from {pre}activities import {', '.join(acts)}" if len(acts) <= 4 else
                       f"from {pre}activities import (\n" + "".join(f"    {a},\n" for a in acts) + ")")
        imports.append(f"from {pre}workflows import {', '.join(wfs)}")
        if with_settings:
            imports.append(f"from {'.' if rel else base_dotted} import {settings_name}")
        if factory_import:
            imports.append(factory_import)
        if signals == "shared_lib":
            imports.append("from common.shutdown import wait_for_termination")
        imports.append(f"from {support.dotted} import limits")
        if style == "settings_object":
            imports.append(f"from {support.dotted}.runtime_config import worker_settings")
        imports += self._unrelated_import(support, 2 if with_factory else rng.choice((0, 2)))
        module_level: list[str] = []
        code_args = [f"task_queue={tq_expr}", f"workflows=[{', '.join(wfs)}]", f"activities=[{', '.join(acts)}]"]
        if with_settings and rng.random() < 0.5:
            code_args.append(f"max_cached_workflows={cfg}MAX_CACHED_WORKFLOWS")
        if style not in ("factory", "opaque"):  # a worker option, from an ordinary module's constant if needed
            code_args.append("max_concurrent_activities="
                             + ("limits.MAX_CONCURRENT_ACTIVITIES" if needs else str(support.max_activities)))
        callee, args = "Worker", list(code_args)
        if style == "direct":
            args.append(f"graceful_shutdown_timeout=timedelta(minutes={minutes})")
        elif style == "direct_missing":
            drain = None
        elif style == "kwargs_dict":
            module_level = ["WORKER_OPTIONS = {", f'    "task_queue": {tq_expr},',
                            f'    "graceful_shutdown_timeout": timedelta(seconds={seconds}),', "}"]
            args = [*code_args[1:3], "**WORKER_OPTIONS"]
        elif style == "settings_const":
            args.append(f"graceful_shutdown_timeout={cfg}DRAIN_TIMEOUT")
        elif style == "settings_object":
            args.append("graceful_shutdown_timeout=timedelta(seconds=worker_settings.DRAIN_SECONDS)")
        elif style == "env_default":
            module_level = [f'DRAIN = timedelta(seconds=int(os.environ.get("{env_name}", "{seconds}")))']
            env_drain = env_name
            args.append("graceful_shutdown_timeout=DRAIN")
        elif style == "env_required":
            module_level = [f'DRAIN = timedelta(seconds=int(os.environ["{env_name}"]))']
            drain, env_drain = None, env_name
            args.append("graceful_shutdown_timeout=DRAIN")
        elif style == "alias":
            callee = "tw.Worker"
            args.append(f"graceful_shutdown_timeout=timedelta(seconds={seconds})")
        elif style == "opaque":
            args = ["**django_settings.TEMPORAL_WORKER_OPTIONS"]
            drain = None
        elif style == "factory":
            callee = "build_worker"
        else:
            callee = "DrainingWorker"
        ctor = call_text(callee, ["client", *args], "    ")
        run_fn = "main" if entry == "worker_main" else "run_worker"
        body = [f"async def {run_fn}() -> None:",
                f'    """Connect to Temporal and run the {domain} worker until stopped."""',
                "    logging.basicConfig(level=logging.INFO)",
                f"    client = await Client.connect({addr_expr})"]
        if signals == "add_signal_handler":
            body += ["    stop = asyncio.Event()", "    loop = asyncio.get_running_loop()",
                     "    for sig in (signal.SIGTERM, signal.SIGINT):",
                     "        loop.add_signal_handler(sig, stop.set)",
                     f"    async with {ctor}:",
                     f'        logger.info("polling %s", {tq_expr})',
                     "        await stop.wait()"]
        elif signals == "signal_signal":
            body += [f"    worker = {ctor}", "    loop = asyncio.get_running_loop()", "",
                     "    def _on_sigterm(signum: int, frame: object) -> None:",
                     "        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(worker.shutdown()))", "",
                     "    signal.signal(signal.SIGTERM, _on_sigterm)", "    await worker.run()"]
        elif signals == "shared_lib":
            body += [f"    async with {ctor}:", "        await wait_for_termination()"]
        else:
            body += [f"    worker = {ctor}",
                     f'    logger.info("worker for %s started", {tq_expr})',
                     "    await worker.run()"]
        lines = [f'"""{camel(domain)} worker of {service}."""', "", "from __future__ import annotations", "",
                 *imports, "", "logger = logging.getLogger(__name__)", ""]
        if not needs:  # `limits` imported for a constant that no Worker option or timeout takes
            module_level.append("RETRY_BACKOFF = timedelta(seconds=limits.RETRY_BACKOFF_S)")
        if module_level:
            lines += [*module_level, ""]
        lines += ["", *body]
        if entry == "worker_main":
            lines += ["", "", 'if __name__ == "__main__":', f"    asyncio.run({run_fn}())"]
        write("worker.py", "\n".join(lines))

        # entrypoint
        if entry == "dunder_main":
            write("__main__.py", "\n".join([f'"""`python -m {base_dotted}` runs the {domain} worker."""', "",
                                            "import asyncio", "", f"from {base_dotted}.worker import run_worker", "",
                                            'if __name__ == "__main__":', "    asyncio.run(run_worker())"]))
            launch = ("module", base_dotted)
        elif entry == "main_script":
            write("main.py", "\n".join(["import asyncio", "import sys", "",
                                        f"from {base_dotted}.worker import run_worker", "", "",
                                        "def main() -> int:", "    asyncio.run(run_worker())", "    return 0", "", "",
                                        'if __name__ == "__main__":', "    sys.exit(main())"]))
            launch = ("script", f"{base_path.split('/', 2)[-1]}/main.py")
        else:
            launch = ("module", f"{base_dotted}.worker")
        if style == "opaque":
            drain = None
        return written, WorkerSpec(service, domain, base_dotted, base_path, launch, drain, env_drain), support_files
