from __future__ import annotations

import gzip
import hashlib
from importlib import resources

from resonance.demo.bundled import (
    ai4i_parts,
    cmapss_constant_columns,
    cmapss_fd001_test,
    cmapss_fd001_train,
    cmapss_parts,
)


def test_bundled_files_are_the_originals():
    expected = {
        "train_FD001.txt": "259f340bac32ce6fa8894815600fa757",
        "test_FD001.txt": "62316d1dd70f88a9a43a1e2690765437",
        "RUL_FD001.txt": "8f4a8b3d2692b2f7d8e72b344927bf4b",
        "readme.txt": "9e66b06d060c2f6fb03d4cc4029bc655",
    }
    folder = resources.files("resonance.demo").joinpath("data/cmapss_fd001")
    for name, md5 in expected.items():
        assert hashlib.md5(gzip.decompress(folder.joinpath(name + ".gz").read_bytes())).hexdigest() == md5


def test_train_rul_is_cycles_left_capped():
    frame = cmapss_fd001_train()
    assert frame.shape == (20631, 27) and frame["unit"].nunique() == 100
    unit1 = frame[frame["unit"] == 1]
    assert len(unit1) == 192  # engine 1 ran 192 cycles
    assert unit1["RUL"].iloc[-1] == 0 and unit1["RUL"].iloc[-2] == 1
    assert unit1["RUL"].max() == 125
    assert cmapss_fd001_train(cap=None)["RUL"].max() == 361  # the longest engine: 362 cycles


def test_test_rul_comes_from_the_truth_file():
    frame = cmapss_fd001_test(cap=None)
    last = frame.groupby("unit").tail(1).set_index("unit")["RUL"]
    assert last.loc[1] == 112 and last.loc[2] == 98 and len(last) == 100


def test_constant_sensors_and_parts():
    assert cmapss_constant_columns(cmapss_fd001_train()) == ["setting_3", "s1", "s5", "s6", "s10", "s16", "s18", "s19"]
    parts = cmapss_parts()
    assert list(parts) == ["E1", "E2", "E3", "E4"]
    assert [p["unit"].nunique() for p in parts.values()] == [25, 25, 25, 25]
    assert sum(len(p) for p in parts.values()) == 20631
    assert set(parts["E1"]["unit"]).isdisjoint(parts["E2"]["unit"])
    assert {t: len(f) for t, f in ai4i_parts().items()} == {"L": 6000, "M": 2997, "H": 1003}
