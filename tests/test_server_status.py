"""``exbert.status`` reads only the index's meta: a missing database stays missing (no
``.exbert/`` at start-up) and another model's index is reported before any model loads."""

from __future__ import annotations

from pathlib import Path

from exbert_ls.model.runner import ModelRunner
from exbert_ls.server.config import Settings
from exbert_ls.server.handlers import model_mismatch, status
from exbert_ls.server.state import ServerState
from exbert_ls.store import index_paths


def _state(root: Path, model: str) -> ServerState:
    state = ServerState()
    state.configure(Settings(model=model))
    state.root, state.folders = root, [root]
    return state


def test_status_without_an_index_creates_no_folder(tmp_path: Path) -> None:
    db = status(_state(tmp_path, "minilm")).database
    assert not db.open and db.rows is None and db.error is not None and "no corpus index" in db.error
    assert not (tmp_path / ".exbert").exists()


def test_mismatch_known_from_the_meta_before_the_model_loads(
    tmp_path: Path, tiny_runners: dict[str, ModelRunner], tiny_model_dirs: dict[str, Path], annotator
) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("The cat sat on the mat. A dog barked.\n", encoding="utf-8")
    index_paths([tmp_path / "c"], str(tmp_path / ".exbert" / "index"), tiny_runners["bert"], annotator=annotator)
    bert, gpt2 = str(tiny_model_dirs["bert"]), str(tiny_model_dirs["gpt2"])
    other = _state(tmp_path, gpt2)
    db = status(other).database
    assert other.loaded_runner() is None  # nothing loaded to know it
    assert db.open and db.model == bert and db.error is not None
    assert (
        db.error.startswith(f"index built by {bert!r}, not {gpt2!r}") and len(db.error) < 2 * len(bert) + len(gpt2) + 90
    )
    assert "fingerprint" not in db.error
    same = status(_state(tmp_path, bert)).database
    assert same.open and same.error is None


def test_model_mismatch_compares_names_and_resolved_paths(tmp_path: Path) -> None:
    assert model_mismatch("minilm", "/x/minilm", "MiniLM") is None
    assert model_mismatch("./m", str(tmp_path / "m"), str(tmp_path / "m")) is None
    message = model_mismatch("minilm", "/x/minilm", "smollm2")
    assert (
        message == "index built by 'minilm', not 'smollm2': select 'minilm' or index into another exbert.databasePath"
    )
