"""symcore.config: typed flags, precedence (SYMCORE_FLAGS > rc files > defaults), errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from symcore.config import (
    BoolParam,
    ConfigError,
    DeviceParam,
    EnumParam,
    FlagValueError,
    IntParam,
    StrParam,
    UnknownFlagError,
    build_config,
    config,
)


def fresh(flags: str = "", *rc_files: Path, **env: str):
    """A config built like the global one, from the given flags and rc files only."""
    environ = {"SYMCORERC": os.pathsep.join(map(str, rc_files)), "SYMCORE_FLAGS": flags, **env}
    return build_config(environ)


def write_rc(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def run_python(code: str, tmp_path: Path, flags: str | None = None, rc: Path | None = None):
    """Run ``code`` in a fresh interpreter with only the given user settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYMCORE")}
    env["SYMCORERC"] = str(rc) if rc else str(tmp_path / "no-such-rc")
    if flags is not None:
        env["SYMCORE_FLAGS"] = flags
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


# -- defaults and access -----------------------------------------------------------------


def test_core_defaults() -> None:
    c = fresh()
    assert c.device == "cpu"
    assert c.floatX == "float64"
    assert c.mode == "FAST_RUN"
    assert c.optimizer == "fast_run"
    assert c.linker == "auto"
    assert c.compute_test_value == "off"
    assert c.print_test_value is False
    assert c.on_opt_error == "warn"
    assert c.on_unused_input == "raise"
    assert c.openmp is False
    assert c.openmp_elemwise_minsize == 200000
    assert c.changed_flags() == {}


def test_dotted_flags_read_as_sections() -> None:
    c = fresh("gcc__cxxflags=-O3,traceback.limit=3")
    assert c.gcc.cxxflags == "-O3"
    assert c.gcc__cxxflags == "-O3"
    assert c.get("gcc.cxxflags") == "-O3"
    assert c.traceback.limit == 3
    c.gcc.cxxflags = "-O1"
    assert c.gcc.cxxflags == "-O1"
    assert "cxxflags" in dir(c.gcc)


def test_compiledir_honours_xdg_cache_home(tmp_path: Path) -> None:
    assert fresh(XDG_CACHE_HOME=str(tmp_path)).compiledir == str(
        tmp_path / "symcore" / "compiledir"
    )
    assert fresh(HOME=str(tmp_path)).compiledir == str(
        tmp_path / ".cache" / "symcore" / "compiledir"
    )


def test_cxx_default_is_a_compiler_path_or_empty() -> None:
    cxx = fresh().cxx
    assert cxx == "" or Path(cxx).name in {"g++", "gcc"}


# -- precedence --------------------------------------------------------------------------


def test_env_overrides_rc_overrides_default(tmp_path: Path) -> None:
    rc = write_rc(tmp_path / "rc", "[global]\nfloatX = float32\nmode = FAST_COMPILE\n")
    c = fresh("floatX=float16", rc)
    assert c.floatX == "float16"  # SYMCORE_FLAGS wins over the rc file
    assert c.mode == "FAST_COMPILE"  # rc file wins over the default
    assert c.optimizer == "fast_run"  # default
    assert c.source("floatX") == "SYMCORE_FLAGS"
    assert c.source("mode") == f"rc file {rc}"
    assert c.source("optimizer") == "default"


def test_rc_sections_map_to_dotted_flags_and_later_files_win(tmp_path: Path) -> None:
    first = write_rc(tmp_path / "a", "[global]\nfloatX = float32\n[gcc]\ncxxflags = -O2\n")
    second = write_rc(tmp_path / "b", "[global]\nfloatX = float16\n")
    c = fresh("", first, second, tmp_path / "missing")
    assert c.gcc.cxxflags == "-O2"
    assert c.floatX == "float16"


def test_precedence_at_import_in_a_subprocess(tmp_path: Path) -> None:
    rc = write_rc(tmp_path / "rc", "[global]\nfloatX = float32\nmode = FAST_COMPILE\n")
    code = "import symcore; c = symcore.config; print(c.floatX, c.mode, c.optimizer)"
    assert run_python(code, tmp_path).stdout.split() == ["float64", "FAST_RUN", "fast_run"]
    assert run_python(code, tmp_path, rc=rc).stdout.split() == [
        "float32",
        "FAST_COMPILE",
        "fast_run",
    ]
    out = run_python(code, tmp_path, flags="floatX=float16", rc=rc)
    assert out.stdout.split() == ["float16", "FAST_COMPILE", "fast_run"], out.stderr


# -- errors ------------------------------------------------------------------------------


def test_bad_value_fails_naming_flag_and_allowed_values() -> None:
    with pytest.raises(FlagValueError) as info:
        fresh("floatX=float31")
    assert isinstance(info.value, ValueError)
    assert "'floatX'" in str(info.value)
    assert "float64, float32, float16" in str(info.value)
    assert "SYMCORE_FLAGS" in str(info.value)


def test_bad_value_in_rc_file_names_the_file(tmp_path: Path) -> None:
    rc = write_rc(tmp_path / "rc", "[global]\nopenmp_elemwise_minsize = lots\n")
    with pytest.raises(FlagValueError, match="openmp_elemwise_minsize.*rc file.*an integer"):
        fresh("", rc)


def test_unknown_flag_fails_at_validation_with_a_suggestion(tmp_path: Path) -> None:
    c = fresh("floatx=float32")
    with pytest.raises(UnknownFlagError) as info:
        c.validate_pending()
    assert "'floatx'" in str(info.value) and "Did you mean 'floatX'?" in str(info.value)
    rc = write_rc(tmp_path / "rc", "[global]\nno_such_flag = 1\n")
    with pytest.raises(UnknownFlagError, match="no_such_flag"):
        fresh("", rc).validate_pending()


def test_bad_and_unknown_flags_fail_at_import(tmp_path: Path) -> None:
    bad = run_python("import symcore", tmp_path, flags="floatX=float31")
    assert bad.returncode != 0
    assert "FlagValueError" in bad.stderr and "float64, float32, float16" in bad.stderr
    unknown = run_python("import symcore", tmp_path, flags="floatx=float32")
    assert unknown.returncode != 0, "an unknown flag must fail at import (validate_pending)"
    assert "UnknownFlagError" in unknown.stderr and "'floatx'" in unknown.stderr
    rc = write_rc(tmp_path / "rc", "[global]\nflaotX = float32\n")
    from_rc = run_python("import symcore", tmp_path, rc=rc)
    assert from_rc.returncode != 0 and "'flaotX'" in from_rc.stderr


def test_unknown_attribute_and_malformed_flags_string() -> None:
    c = fresh()
    with pytest.raises(AttributeError, match="no_such"):
        _ = c.no_such
    with pytest.raises(UnknownFlagError):
        c.no_such = 1
    with pytest.raises(ConfigError, match="no flag name"):
        fresh("=3")


def test_device_syntax_now_and_backends_later() -> None:
    c = fresh("device=tpu0")  # might be served by a plugin: checked once plugins are loaded
    with pytest.raises(FlagValueError, match="device.*cpu, cuda, cudaN"):
        c.validate_pending()
    c = fresh("device=tpu0")
    c.param("device").accept(["tpu*"])
    c.validate_pending()
    assert c.device == "tpu0"
    for ok in ("cpu", "cuda", "cuda1", "opencl0:1"):
        c.device = ok
    with pytest.raises(FlagValueError):
        c.device = "gpu?"
    with pytest.raises(FlagValueError):
        c.device = "fpga3"  # validated: unknown families fail on assignment too


def test_linker_accepts_registered_backend_names() -> None:
    c = fresh("linker=numba")
    with pytest.raises(FlagValueError, match="linker.*auto, py, c, cvm"):
        c.validate_pending()
    c = fresh("linker=numba")
    c.param("linker").accept(["numba"])
    c.validate_pending()
    assert c.linker == "numba"


# -- changing flags ----------------------------------------------------------------------


def test_assignment_checks_values() -> None:
    c = fresh()
    c.floatX = "float32"
    assert c.floatX == "float32"
    assert c.changed_flags() == {"floatX": ("float32", "assignment")}
    with pytest.raises(FlagValueError, match="floatX"):
        c.floatX = "float31"
    assert c.floatX == "float32"


def test_change_flags_context_manager_restores_even_on_error() -> None:
    c = fresh("floatX=float32")
    with c.change_flags(floatX="float16", gcc__cxxflags="-O3"):
        assert (c.floatX, c.gcc.cxxflags) == ("float16", "-O3")
        with c.change_flags({"gcc.cxxflags": "-O0"}):
            assert c.gcc.cxxflags == "-O0"
        assert c.gcc.cxxflags == "-O3"
    assert (c.floatX, c.gcc.cxxflags) == ("float32", "")
    assert c.source("floatX") == "SYMCORE_FLAGS"
    with pytest.raises(RuntimeError):
        with c.change_flags(floatX="float64"):
            raise RuntimeError("boom")
    assert c.floatX == "float32"


def test_change_flags_bad_value_changes_nothing() -> None:
    c = fresh()
    with pytest.raises(FlagValueError):
        with c.change_flags(mode="FAST_COMPILE", floatX="float31"):
            pass
    assert c.mode == "FAST_RUN"
    with pytest.raises(UnknownFlagError):
        c.change_flags(no_such_flag=1)


def test_change_flags_decorator_including_recursion() -> None:
    c = fresh()
    seen = []

    @c.change_flags(floatX="float32")
    def inner(depth: int) -> None:
        seen.append(c.floatX)
        c.floatX = "float16"
        if depth:
            inner(depth - 1)

    inner(2)
    assert seen == ["float32"] * 3
    assert c.floatX == "float64"


def test_global_config_is_the_one_symcore_exports() -> None:
    import symcore

    assert symcore.config is config
    with config.change_flags(floatX="float32"):
        assert symcore.config.floatX == "float32"


# -- params and plugin flags ---------------------------------------------------------------


def test_param_parsing() -> None:
    assert BoolParam(False).filter("yes") is True and BoolParam(True).filter("off") is False
    assert IntParam(1, minimum=0).filter(" 7 ") == 7
    with pytest.raises(ValueError):
        IntParam(1, minimum=0).filter("-1")
    with pytest.raises(ValueError):
        IntParam(1).filter(2.5)
    assert EnumParam("fast_run", "None").filter(None) == "None"
    assert DeviceParam().filter(" cuda0 ") == "cuda0"


def test_declared_flags_take_pending_values_and_clash_checks() -> None:
    c = fresh("mybackend.level=3")
    c.add("mybackend.level", "A plugin flag.", IntParam(1))
    assert c.mybackend.level == 3
    with pytest.raises(ConfigError, match="already declared"):
        c.add("mybackend.level", "again", IntParam(1))
    with pytest.raises(ConfigError, match="clashes"):
        c.add("mybackend", "a flag where a section is", StrParam(""))
    c.validate_pending()


def test_immutable_flags_refuse_changes() -> None:
    c = fresh()
    c.add("frozen", "Read at import.", StrParam("x", mutable=False))
    with pytest.raises(ConfigError, match="cannot be changed"):
        c.frozen = "y"
    with pytest.raises(ConfigError, match="cannot be changed"):
        c.change_flags(frozen="y")


def test_c_key_lists_code_changing_flags() -> None:
    c = fresh("gcc__cxxflags=-O3,openmp=True")
    key = dict(c.c_key())
    assert key["gcc.cxxflags"] == "-O3" and key["openmp"] is True and "cxx" in key
    assert "floatX" not in key
