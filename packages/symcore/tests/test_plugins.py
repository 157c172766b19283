"""symcore.plugins: discovery through entry points, isolation of failing plugins,
registries, backend selection and ``python -m symcore``."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from symcore import plugins
from symcore.config import build_config
from symcore.plugins import PHASES, BackendNotFoundError, PluginSystem, SymcorePluginWarning
from symcore.plugins.backends import select_backend
from symcore.plugins.records import Backend

GOOD = """
from symcore.plugins import hookimpl
from symcore.config import IntParam

class Double:
    "Multiply by two."

@hookimpl
def symcore_declare_config(config):
    config.add("goodplug.level", "A plugin flag.", IntParam(1))

@hookimpl
def symcore_register_ops(registry):
    registry.add_op("double", Double())
    registry.add_type("goodtype", int)

@hookimpl
def symcore_register_rewrites(registry):
    registry.add_rewrite("double_double", print, "fast_run", phase="canonicalize")
    registry.add_rewrite("late", print, position=49.5)

@hookimpl
def symcore_register_backends(registry):
    registry.add_backend("tpu", devices=["tpu*"], linker="json:dumps", priority=5)

@hookimpl
def symcore_info():
    return {"devices": "tpu0"}
"""


class Dists:
    """Fake installed distributions in a temp dir: a .dist-info with entry_points.txt."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        monkeypatch.syspath_prepend(str(root))
        self.calls = 0

    def add(self, dist: str, ep_name: str, module: str, source: str) -> None:
        info = self.root / f"{dist.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[symcore.plugins]\n{ep_name} = {module}\n")
        (self.root / f"{module}.py").write_text(textwrap.dedent(source))

    def entry_points(self) -> list[importlib.metadata.EntryPoint]:
        self.calls += 1
        found = importlib.metadata.distributions(path=[str(self.root)])
        return sorted(
            (ep for d in found for ep in d.entry_points if ep.group == "symcore.plugins"),
            key=lambda ep: ep.name,
        )

    def system(self, flags: str = "") -> PluginSystem:
        config = build_config({"SYMCORERC": "", "SYMCORE_FLAGS": flags})
        return PluginSystem(config, self.entry_points)


@pytest.fixture
def dists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dists:
    return Dists(tmp_path, monkeypatch)


def load(system: PluginSystem) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        system.load()
    return [w for w in caught if issubclass(w.category, SymcorePluginWarning)]


def by_name(system: PluginSystem) -> dict[str, plugins.PluginRecord]:
    return {r.name: r for r in system.records()}


# -- discovery and registration ------------------------------------------------------------


def test_good_plugin_registers_everything(dists: Dists) -> None:
    dists.add("good-plugin", "good", "good_mod_a", GOOD)
    system = dists.system("goodplug.level=4")
    assert load(system) == []
    records = by_name(system)
    assert records["symcore"].builtin and records["symcore"].backends == ["py"]
    good = records["good"]
    assert (good.dist, good.version, good.status) == ("good-plugin", "0.1", "ok")
    assert good.registered() == {
        "flags": ["goodplug.level"],
        "ops": ["double"],
        "types": ["goodtype"],
        "rewrites": ["double_double", "late"],
        "backends": ["tpu"],
    }
    assert system.config.goodplug.level == 4
    system.config.validate_pending()
    system.config.device = "tpu3"  # the backend's device pattern became a valid device
    system.config.linker = "tpu"
    assert system.store.ops["double"].doc == "Multiply by two."
    rewrites = {r.name: r for r in system.store.rewrites}
    assert (rewrites["double_double"].position, rewrites["double_double"].phase) == (
        1.0,
        "canonicalize",
    )
    assert rewrites["double_double"].tags == ("fast_run",)
    assert (rewrites["late"].position, rewrites["late"].phase) == (49.5, "fusion")
    assert system.collect_info()["good"] == {"devices": "tpu0"}


def test_load_is_idempotent(dists: Dists) -> None:
    dists.add("good-plugin", "good", "good_mod_b", GOOD)
    system = dists.system()
    load(system)
    load(system)
    assert dists.calls == 1
    assert [b.name for b in system.store.backends] == ["py", "tpu"]


def test_public_api_reads_the_global_system(dists: Dists, monkeypatch: pytest.MonkeyPatch) -> None:
    dists.add("good-plugin", "good", "good_mod_c", GOOD)
    system = dists.system()
    load(system)
    monkeypatch.setattr(plugins, "_system", system)
    assert type(plugins.ops.double).__name__ == "Double"
    assert plugins.types.goodtype is int
    assert "double" in dir(plugins.ops)
    with pytest.raises(AttributeError, match="no op named 'triple'.*registered: double"):
        _ = plugins.ops.triple
    assert [r.name for r in plugins.registered_rewrites()] == ["double_double", "late"]
    assert [b.name for b in plugins.registered_backends()] == ["tpu", "py"]
    assert plugins.get_backend_for_device("tpu0", "auto").name == "tpu"
    assert plugins.get_backend_for_device("cpu", "auto").name == "py"


# -- failing plugins -------------------------------------------------------------------------


def test_plugin_failing_to_import_warns_once_and_others_load(dists: Dists) -> None:
    dists.add("broken-plugin", "broken", "broken_mod_a", "raise ImportError('needs libfoo.so')")
    dists.add("good-plugin", "good", "good_mod_d", GOOD)
    system = dists.system()
    caught = load(system)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "'broken'" in message and "broken-plugin" in message and "needs libfoo.so" in message
    records = by_name(system)
    assert records["broken"].status == "failed" and "ImportError" in records["broken"].error
    assert records["good"].ok and records["good"].backends == ["tpu"]


def test_failing_hook_discards_everything_that_plugin_registered(dists: Dists) -> None:
    dists.add(
        "half-plugin",
        "half",
        "half_mod",
        """
        from symcore.plugins import hookimpl

        @hookimpl
        def symcore_register_ops(registry):
            registry.add_op("halfop", object())

        @hookimpl
        def symcore_register_rewrites(registry):
            registry.add_rewrite("halfrw", print, phase="specialize")
            raise RuntimeError("rewrite table corrupt")
    """,
    )
    dists.add("good-plugin", "good", "good_mod_e", GOOD)
    system = dists.system()
    caught = load(system)
    assert len(caught) == 1
    assert "symcore_register_rewrites: RuntimeError: rewrite table corrupt" in str(
        caught[0].message
    )
    assert "halfop" not in system.store.ops and "double" in system.store.ops
    assert [r.name for r in system.store.rewrites] == ["double_double", "late"]
    assert by_name(system)["half"].registered() == {}


def test_misnamed_hook_and_duplicate_names_fail_the_plugin(dists: Dists) -> None:
    dists.add(
        "typo-plugin",
        "typo",
        "typo_mod",
        """
        from symcore.plugins import hookimpl

        @hookimpl
        def symcore_register_op(registry):
            pass
    """,
    )
    dists.add("good-plugin", "good", "good_mod_f", GOOD)
    # entry points load in name order here: "good" first, so "z_copycat" is the duplicate
    dists.add(
        "copycat-plugin",
        "z_copycat",
        "copycat_mod",
        """
        from symcore.plugins import hookimpl

        @hookimpl
        def symcore_register_ops(registry):
            registry.add_op("double", object())
    """,
    )
    system = dists.system()
    messages = sorted(str(w.message) for w in load(system))
    assert len(messages) == 2
    assert "'typo'" in messages[0] and "unknown hook(s) symcore_register_op" in messages[0]
    assert "'z_copycat'" in messages[1] and "already registered by plugin 'good'" in messages[1]
    assert by_name(system)["good"].ok


def test_bad_value_of_a_plugin_flag_is_a_config_error_not_a_plugin_failure(dists: Dists) -> None:
    dists.add("good-plugin", "good", "good_mod_g", GOOD)
    system = dists.system("goodplug.level=many,goodplug.levle=2")
    assert load(system) == []
    assert by_name(system)["good"].ok
    with pytest.raises(ValueError) as info:
        system.config.validate_pending()
    assert "goodplug.level" in str(info.value) and "'goodplug.levle'" in str(info.value)


def test_failing_info_hook_is_reported_not_raised(dists: Dists) -> None:
    dists.add(
        "mute-plugin",
        "mute",
        "mute_mod",
        """
        from symcore.plugins import hookimpl

        @hookimpl
        def symcore_info():
            raise OSError("cannot probe device")
    """,
    )
    system = dists.system()
    load(system)
    assert system.collect_info()["mute"] == {
        "error": "symcore_info failed: OSError: cannot probe device"
    }


# -- registries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("registry.add_rewrite('r', print)", "give phase= or position="),
        ("registry.add_rewrite('r', print, phase='late')", "unknown phase 'late'; allowed: merge"),
        ("registry.add_rewrite('not a name', print, phase='merge')", "identifier"),
    ],
)
def test_rewrite_registration_errors(dists: Dists, call: str, message: str) -> None:
    module = f"badrw_mod_{len(call)}_{len(message)}"  # a fresh module per case
    dists.add(
        "bad-rw",
        "badrw",
        module,
        f"""
        from symcore.plugins import hookimpl

        @hookimpl
        def symcore_register_rewrites(registry):
            {call}
    """,
    )
    caught = load(dists.system())
    assert len(caught) == 1 and message in str(caught[0].message)


def test_phase_positions_follow_pytensor() -> None:
    assert PHASES == {
        "merge": 0.0,
        "canonicalize": 1.0,
        "stabilize": 1.5,
        "blas": 1.7,
        "specialize": 2.0,
        "fusion": 49.0,
        "inplace": 50.0,
    }


# -- backends ------------------------------------------------------------------------------------


def backend(name: str, devices: tuple[str, ...], priority: int) -> Backend:
    return Backend(name, devices, f"{name}_mod:Linker", priority, "", "test")


def test_select_backend_by_priority_and_by_linker() -> None:
    backends = [
        backend("py", ("cpu",), 0),
        backend("c", ("cpu",), 10),
        backend("cu", ("cuda*",), 20),
    ]
    assert select_backend(backends, "cpu").name == "c"
    assert select_backend(backends, "cpu", "py").name == "py"
    assert select_backend(backends, "cuda1").name == "cu"
    with pytest.raises(
        BackendNotFoundError, match="linker='c' serves devices cpu, not device='cuda0'"
    ):
        select_backend(backends, "cuda0", "c")


def test_missing_backend_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    only_py = [backend("py", ("cpu",), 0)]

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    with pytest.raises(BackendNotFoundError) as info:
        select_backend(only_py, "cuda0")
    assert isinstance(info.value, ValueError)
    assert (
        "device='cuda0' has no installed backend; "
        'it needs a CUDA backend: pip install "symcore[cuda]"' in str(info.value)
    )
    with pytest.raises(
        BackendNotFoundError, match=r"OpenCL backend: pip install \"symcore\[opencl\]\""
    ):
        select_backend(only_py, "opencl0:0")
    with pytest.raises(BackendNotFoundError, match=r"C backend: pip install \"symcore\[c\]\""):
        select_backend(only_py, "cpu", "c")


def test_installed_placeholder_is_named_instead_of_pip_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.1.0")
    with pytest.raises(
        BackendNotFoundError, match="sym-backend-cuda 0.1.0 is installed but registers no backend"
    ):
        select_backend([backend("py", ("cpu",), 0)], "cuda0")


def test_cpu_always_resolves_to_a_backend_with_a_lazy_linker() -> None:
    plugins.load_plugins()
    py = plugins.get_backend_for_device("cpu", "py")
    assert py.linker == "symcore.link.reference:ReferenceLinker" and py.priority == 0
    assert py.load_linker().__name__ == "ReferenceLinker"
    assert plugins.get_backend_for_device("cpu").serves("cpu")
    broken = backend("nowhere", ("cpu",), 1)
    with pytest.raises(ImportError, match="backend 'nowhere'.*nowhere_mod:Linker"):
        broken.load_linker()


# -- command line ----------------------------------------------------------------------------------


def run_cli(*args: str, flags: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYMCORE")}
    env.update(SYMCORE_FLAGS=flags, SYMCORERC="")
    return subprocess.run(
        [sys.executable, "-m", "symcore", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_info_command_reports_versions_plugins_devices_and_flags() -> None:
    out = run_cli("info", flags="floatX=float32")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("symcore ")
    assert "numpy " in text and "python " in text and "pluggy " in text
    assert "symcore (core): ok" in text and "backend py: devices cpu" in text
    for record in plugins.list_plugins():
        if not record.builtin:
            assert f"  {record.name} ({record.dist}" in text
    assert "compiler: " in text and "BLAS: numpy" in text
    assert "device='cpu' linker='auto' -> " in text
    assert "floatX = 'float32' (from SYMCORE_FLAGS)" in text


def test_flags_command_prints_every_flag() -> None:
    out = run_cli("flags", "--markdown")
    assert out.returncode == 0, out.stderr
    for name in build_config({"SYMCORERC": ""}).flags():
        assert f"| `{name}` |" in out.stdout


def test_cache_list_and_clear_work_on_compiledir(tmp_path: Path) -> None:
    compiledir = tmp_path / "cd"
    (compiledir / "mod-abc").mkdir(parents=True)
    (compiledir / "mod-abc" / "lib.so").write_bytes(b"x" * 10)
    (compiledir / "lock").write_text("")
    flags = f"compiledir={compiledir}"
    listed = run_cli("cache", "list", flags=flags)
    assert listed.returncode == 0, listed.stderr
    assert "(2 entries)" in listed.stdout and "mod-abc/  10 bytes" in listed.stdout
    cleared = run_cli("cache", "clear", flags=flags)
    assert "removed 2 entries" in cleared.stdout
    assert compiledir.is_dir() and list(compiledir.iterdir()) == []
