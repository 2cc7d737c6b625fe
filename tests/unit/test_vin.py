from __future__ import annotations

import pytest
from shared.vin import InvalidVin, check_digit, normalise_vin, with_check_digit


def test_known_north_american_vin_passes():
    assert normalise_vin(" 1m8gdm9axkp042788 ") == "1M8GDM9AXKP042788"


def test_chinese_vin_check_digit_is_verified():
    good = with_check_digit("LSVAU2180N2183294")
    assert normalise_vin(good) == good
    wrong = good[:8] + ("0" if good[8] != "0" else "1") + good[9:]
    with pytest.raises(InvalidVin, match="check digit"):
        normalise_vin(wrong)


def test_european_vin_has_no_check_digit_to_verify():
    assert normalise_vin("WVWZZZ1KZAW000001") == "WVWZZZ1KZAW000001"


@pytest.mark.parametrize("vin, words", [
    ("LSVAU2180N218329", "17 characters"),
    ("LSVAU2180N21832945", "17 characters"),
    ("LSVAU2180N218329O", "I, O or Q"),
    ("WVWZZZ1KZIW000001", "I, O or Q"),
    ("WVWZZZ1KZ-W000001", "letters and digits"),
])
def test_invalid_vins_are_refused_naming_the_problem(vin, words):
    with pytest.raises(InvalidVin, match=words) as e:
        normalise_vin(vin)
    assert e.value.field == "vin"


def test_check_digit_remainder_ten_is_x():
    assert check_digit("1M8GDM9A_KP042788".replace("_", "0")) == "X"
