"""IMO check digits, MMSI forms and the MID -> flag table."""

from __future__ import annotations

import pytest

from osint.errors import InvalidInput
from osint.maritime import identifiers
from osint.maritime.mid import MID


@pytest.mark.parametrize("text", ["IMO 9321483", "IMO9321483", "9321483", "imo: 9321483"])
def test_imo_accepts_the_usual_spellings(text):
    assert identifiers.parse_imo(text) == ("9321483", None)


def test_imo_check_digit_explains_the_mismatch():
    with pytest.raises(InvalidInput) as error:
        identifiers.parse_imo("9321484")
    assert "check digit is 4 but the first six digits give 3" in str(error.value)
    assert "--imo" in str(error.value)


@pytest.mark.parametrize("text", ["932148", "93214830", "0000000", "IMO ABC"])
def test_imo_refuses_malformed_numbers(text):
    with pytest.raises(InvalidInput):
        identifiers.parse_imo(text)


def test_forced_imo_keeps_the_problem():
    digits, problem = identifiers.parse_imo("9321484", force=True)
    assert digits == "9321484"
    assert problem.startswith("check digit")


def test_check_digit_helper_makes_valid_numbers():
    for first_six in ("912345", "870000", "100001"):
        number = first_six + str(identifiers.imo_check_digit(first_six))
        assert identifiers.imo_problem(number) is None


@pytest.mark.parametrize(
    ("mmsi", "flag"),
    [("445123456", "KP"), ("273456789", "RU"), ("351000001", "PA"), ("636012345", "LR")],
)
def test_mmsi_flag_from_mid(mmsi, flag):
    text, info, problem = identifiers.parse_mmsi(mmsi)
    assert problem is None and info.flag == flag and text == mmsi


@pytest.mark.parametrize(
    ("mmsi", "station"),
    [
        ("002734567", "coast"),
        ("992731234", "aid-to-navigation"),
        ("970123456", "sart"),
        ("111273456", "sar-aircraft"),
    ],
)
def test_mmsi_of_other_stations_are_not_ships(mmsi, station):
    assert identifiers.mmsi_info(mmsi).station == station
    with pytest.raises(InvalidInput, match="not a valid ship MMSI"):
        identifiers.parse_mmsi(mmsi)


def test_mmsi_needs_nine_digits_and_an_allocated_mid():
    with pytest.raises(InvalidInput, match="9 digits"):
        identifiers.parse_mmsi("44512345")
    with pytest.raises(InvalidInput, match="MID 217 is not allocated"):
        identifiers.parse_mmsi("217123456")


def test_mid_table_is_complete_and_well_formed():
    assert len(MID) > 280
    assert all(200 <= mid <= 799 for mid in MID)
    assert all(code is None or (len(code) == 2 and code.isupper()) for code, _ in MID.values())
    assert MID[445][0] == "KP" and MID[273][0] == "RU"
    assert {mid for mid, (code, _) in MID.items() if code == "PA"} >= {351, 352, 353, 370, 373}


def test_flag_accepts_codes_and_country_names():
    assert identifiers.parse_flag("kp") == "KP"
    assert identifiers.parse_flag("Russian Federation") == "RU"
    with pytest.raises(InvalidInput):
        identifiers.parse_flag("Atlantis")
