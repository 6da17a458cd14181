from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from resonance.errors import ResonanceError
from resonance.federation.learning.data import load_local, split_mask
from resonance.federation.learning.spec import TaskSpec
from resonance.node.sources import open_source

SPEC = TaskSpec(task="classification", target="故障", features=["温度", "转速"], family="logistic", split_key="编号")


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def _rows(n=50):
    lines = ["编号,温度,转速,故障"]
    lines += [f"{i},{300 + i * 0.5},{1400 + i},{i % 7 == 0:d}" for i in range(n)]
    return "\n".join(lines) + "\n"


def test_csv_is_read_and_split_deterministically(tmp_path):
    path = _write(tmp_path / "产线.csv", _rows())
    first = load_local(path, SPEC)
    again = load_local(str(path), SPEC)
    assert first.n_train + first.n_test == 50
    assert 0 < first.n_test < 25
    np.testing.assert_array_equal(first.test_X, again.test_X)
    assert first.train_X.dtype == np.float64 and first.train_X.shape == (first.n_train, 2)
    # the row with 编号 0 has 温度 300, 转速 1400, 故障 1 — find it on whichever side it fell
    X = np.vstack([first.train_X, first.test_X])
    y = np.concatenate([first.train_y, first.test_y])
    row = np.flatnonzero(X[:, 0] == 300.0)[0]
    assert X[row, 1] == 1400.0 and y[row] == 1.0


def test_gbk_header_is_read(tmp_path):
    path = _write(tmp_path / "gbk.csv", _rows(), encoding="gbk")
    utf8 = load_local(_write(tmp_path / "utf8.csv", _rows()), SPEC)
    data = load_local(path, SPEC)
    np.testing.assert_array_equal(data.train_X, utf8.train_X)
    np.testing.assert_array_equal(data.test_y, utf8.test_y)


def test_opened_node_source_is_accepted(tmp_path):
    path = _write(tmp_path / "a.csv", _rows())
    with open_source(path, workdir=tmp_path / "work") as source:
        data = load_local(source, SPEC)
    assert data.n_train + data.n_test == 50 and data.name == source.display_name


def test_split_key_keeps_units_together():
    keys = [unit for unit in range(40) for _ in range(5)]
    mask = split_mask(keys, 0.25, seed=3)
    per_unit = mask.reshape(40, 5)
    assert (per_unit.all(axis=1) | ~per_unit.any(axis=1)).all()
    assert 0 < per_unit[:, 0].sum() < 40
    assert not np.array_equal(mask, split_mask(keys, 0.25, seed=4))
    np.testing.assert_array_equal(split_mask([1.0, 2.0], 0.5, 0), split_mask([1, 2], 0.5, 0))


def test_missing_column_is_named(tmp_path):
    path = _write(tmp_path / "a.csv", _rows().replace("转速", "速度"))
    with pytest.raises(ResonanceError) as caught:
        load_local(path, SPEC)
    assert caught.value.code == "missing_column"
    assert "'转速'" in caught.value.what and "速度" in caught.value.fix


def test_non_numeric_cell_is_named_with_row_and_column(tmp_path):
    text = _rows().replace("\n3,301.5,", "\n3,热,")
    path = _write(tmp_path / "a.csv", text)
    with pytest.raises(ResonanceError) as caught:
        load_local(path, SPEC)
    err = caught.value
    assert err.code == "not_numeric"
    assert "'温度'" in err.what and "data row 4" in err.what and "not a number" in err.what


def test_missing_value_is_named(tmp_path):
    text = _rows().replace("\n5,302.5,1405,", "\n5,302.5,,")
    with pytest.raises(ResonanceError, match=r"value is missing in column '转速' at data row 6"):
        load_local(_write(tmp_path / "a.csv", text), SPEC)


def test_classification_target_must_be_binary():
    frame = pd.DataFrame({"编号": [1, 2, 3], "温度": [1.0, 2.0, 3.0], "转速": [1, 2, 3], "故障": [0, 2, 1]})
    with pytest.raises(ResonanceError, match=r"must be 0 or 1 .* found 2 at data row 2"):
        load_local(frame, SPEC)
    frame["故障"] = ["true", "false", "TRUE"]
    data = load_local(frame, SPEC)
    assert sorted(np.concatenate([data.train_y, data.test_y]).tolist()) == [0.0, 1.0, 1.0]


def test_empty_file_and_header_only_are_refused(tmp_path):
    with pytest.raises(ResonanceError) as caught:
        load_local(_write(tmp_path / "empty.csv", ""), SPEC)
    assert caught.value.code == "source_empty"
    with pytest.raises(ResonanceError) as caught:
        load_local(_write(tmp_path / "head.csv", "编号,温度,转速,故障\n"), SPEC)
    assert caught.value.code in {"no_rows", "source_empty"}


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(ResonanceError) as caught:
        load_local(tmp_path / "nope.csv", SPEC)
    assert caught.value.code == "source_not_found"
    with pytest.raises(ResonanceError, match="cannot read local data from a int"):
        load_local(42, SPEC)  # type: ignore[arg-type]


def test_node_csv_and_bundled_frame_give_the_same_split(tmp_path, ai4i_spec):
    # the Flower run reads the node's CSV; federated_reference reads the bundled table: same rows, same split
    from resonance.demo.bundled import ai4i_parts
    from resonance.demo.nodes import write_partition

    path = tmp_path / "ai4i_H.csv"
    write_partition("H", path)
    from_csv = load_local(path, ai4i_spec)
    from_frame = load_local(ai4i_parts()["H"], ai4i_spec)
    np.testing.assert_array_equal(from_csv.test_X, from_frame.test_X)
    np.testing.assert_array_equal(from_csv.train_y, from_frame.train_y)
    assert from_csv.n_test > 150


def test_boolean_target_column_is_read(tmp_path):
    text = "编号,温度,转速,故障\n" + "".join(f"{i},{i}.5,{i * 2},{'true' if i % 3 else 'false'}\n" for i in range(30))
    data = load_local(_write(tmp_path / "b.csv", text), SPEC)
    y = np.concatenate([data.train_y, data.test_y])
    assert y.sum() == 20 and set(y.tolist()) == {0.0, 1.0}
