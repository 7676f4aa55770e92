"""The sun as a witness: where it stood at a place and time, and the shadows it cast.

The sun's position follows NOAA's solar calculator (the equations of its spreadsheet, after Jean
Meeus, "Astronomical Algorithms"): accurate to about 0.01 degree between latitudes +-70 for
dates from 1800 to 2100, with NOAA's approximation of atmospheric refraction. Times are UTC;
longitudes east positive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# The sun's upper limb on the horizon, refraction included (NOAA's 90.833 degrees zenith).
SUNRISE_ZENITH = 90.833


@dataclass(frozen=True)
class SunPosition:
    """The sun seen from one place at one moment (degrees; azimuth clockwise from true north)."""

    when: datetime
    lat: float
    lon: float
    azimuth: float
    elevation: float  # apparent: refraction included
    declination: float
    equation_of_time_min: float

    @property
    def daylight(self) -> bool:
        """The sun's upper limb is above the horizon (refraction included)."""
        return self.elevation > 90 - SUNRISE_ZENITH

    @property
    def shadow_ratio(self) -> float | None:
        """Shadow length per unit of height of a vertical object on level ground (None at night)."""
        if self.elevation <= 0:
            return None
        return 1 / math.tan(math.radians(self.elevation))

    @property
    def shadow_azimuth(self) -> float:
        """The direction shadows point: away from the sun."""
        return (self.azimuth + 180) % 360


def _julian_century(moment: datetime) -> float:
    moment = moment.astimezone(UTC)
    julian_day = moment.timestamp() / 86400 + 2440587.5
    return (julian_day - 2451545) / 36525


def _sun_terms(jc: float) -> tuple[float, float]:
    """(declination in degrees, equation of time in minutes) at a Julian century."""
    mean_long = (280.46646 + jc * (36000.76983 + jc * 0.0003032)) % 360
    mean_anom = 357.52911 + jc * (35999.05029 - 0.0001537 * jc)
    eccent = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc)
    m = math.radians(mean_anom)
    centre = (
        math.sin(m) * (1.914602 - jc * (0.004817 + 0.000014 * jc))
        + math.sin(2 * m) * (0.019993 - 0.000101 * jc)
        + math.sin(3 * m) * 0.000289
    )
    true_long = mean_long + centre
    omega = math.radians(125.04 - 1934.136 * jc)
    apparent_long = true_long - 0.00569 - 0.00478 * math.sin(omega)
    mean_obliquity = 23 + (26 + (21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))) / 60) / 60
    obliquity = mean_obliquity + 0.00256 * math.cos(omega)
    declination = math.degrees(
        math.asin(math.sin(math.radians(obliquity)) * math.sin(math.radians(apparent_long)))
    )
    y = math.tan(math.radians(obliquity / 2)) ** 2
    l0 = math.radians(mean_long)
    equation_of_time = 4 * math.degrees(
        y * math.sin(2 * l0)
        - 2 * eccent * math.sin(m)
        + 4 * eccent * y * math.sin(m) * math.cos(2 * l0)
        - 0.5 * y * y * math.sin(4 * l0)
        - 1.25 * eccent * eccent * math.sin(2 * m)
    )
    return declination, equation_of_time


def _refraction(elevation: float) -> float:
    """NOAA's approximation of atmospheric refraction, in degrees, at an (unrefracted) elevation."""
    if elevation > 85:
        return 0.0
    tan_e = math.tan(math.radians(elevation))
    if elevation > 5:
        seconds = 58.1 / tan_e - 0.07 / tan_e**3 + 0.000086 / tan_e**5
    elif elevation > -0.575:
        e = elevation
        seconds = 1735 + e * (-518.2 + e * (103.4 + e * (-12.79 + e * 0.711)))
    else:
        seconds = -20.772 / tan_e
    return seconds / 3600


def position(lat: float, lon: float, when: datetime) -> SunPosition:
    """Where the sun stood, seen from (lat, lon), at the aware moment `when`."""
    if when.tzinfo is None:
        raise ValueError("the time must say its offset from UTC")
    utc = when.astimezone(UTC)
    declination, equation_of_time = _sun_terms(_julian_century(utc))
    minutes = utc.hour * 60 + utc.minute + (utc.second + utc.microsecond / 1e6) / 60
    true_solar = (minutes + equation_of_time + 4 * lon) % 1440
    hour_angle = true_solar / 4 - 180 if true_solar >= 0 else true_solar / 4 + 180
    phi, delta, h = math.radians(lat), math.radians(declination), math.radians(hour_angle)
    cos_zenith = math.sin(phi) * math.sin(delta) + math.cos(phi) * math.cos(delta) * math.cos(h)
    zenith = math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))
    elevation = 90 - zenith
    sin_zenith = math.sin(math.radians(zenith))
    if abs(math.cos(phi) * sin_zenith) < 1e-12:
        azimuth = 180.0 if lat > declination else 0.0  # at the pole or with the sun overhead
    else:
        cos_az = (math.sin(phi) * math.cos(math.radians(zenith)) - math.sin(delta)) / (
            math.cos(phi) * sin_zenith
        )
        angle = math.degrees(math.acos(max(-1.0, min(1.0, cos_az))))
        azimuth = (angle + 180) % 360 if hour_angle > 0 else (540 - angle) % 360
    return SunPosition(
        when=utc,
        lat=lat,
        lon=lon,
        azimuth=azimuth,
        elevation=elevation + _refraction(elevation),
        declination=declination,
        equation_of_time_min=equation_of_time,
    )


@dataclass(frozen=True)
class SunDay:
    """The sun's day at a place: sunrise, solar noon and sunset in UTC (None in polar day/night)."""

    sunrise: datetime | None
    solar_noon: datetime
    sunset: datetime | None
    polar: str | None  # "polar day" or "polar night" when the sun neither rises nor sets


def day(lat: float, lon: float, on: datetime) -> SunDay:
    """Sunrise, solar noon and sunset of the local day of `on` at (lat, lon) (local by the sun:
    a picture taken at 05:00 local in the Far East belongs to that morning, not to the UTC date)."""
    local = on.astimezone(UTC) + timedelta(minutes=4 * lon)
    midnight = datetime(local.year, local.month, local.day, tzinfo=UTC)

    def at(minutes: float) -> datetime:
        return midnight + timedelta(minutes=minutes)

    # Solar noon: the equation of time at a first estimate of noon, then at noon itself.
    noon_minutes = 720 - 4 * lon - _sun_terms(_julian_century(at(720 - 4 * lon)))[1]
    declination, equation_of_time = _sun_terms(_julian_century(at(noon_minutes)))
    noon = at(720 - 4 * lon - equation_of_time)
    half = _half_day(lat, declination)
    if half is None:
        # Up all day when even at midnight (lower culmination) its limb clears the horizon.
        lowest = -90 + abs(lat + declination if lat >= 0 else -lat - declination)
        polar = "polar day" if lowest > 90 - SUNRISE_ZENITH else "polar night"
        return SunDay(None, noon, None, polar)

    def event(sign: int) -> datetime:
        """Sunrise (+1) or sunset (-1): from noon's sun, then with the sun's terms at the
        event's own time, twice (NOAA refines once; the second pass moves it by a second)."""
        minutes = 720 - 4 * lon - equation_of_time - sign * half
        for _ in range(2):
            dec, eot = _sun_terms(_julian_century(at(minutes)))
            hour = _half_day(lat, dec)
            if hour is None:  # at the edge of polar day or night: keep the estimate
                break
            minutes = 720 - 4 * lon - eot - sign * hour
        return at(minutes)

    return SunDay(event(+1), noon, event(-1), None)


def _half_day(lat: float, declination: float) -> float | None:
    """Minutes from solar noon to sunrise (or sunset) for the sun at `declination`, None when
    the sun neither rises nor sets (the upper limb with refraction at 90.833 degrees zenith)."""
    phi, delta = math.radians(lat), math.radians(declination)
    cos_h = math.cos(math.radians(SUNRISE_ZENITH)) / (math.cos(phi) * math.cos(delta)) - math.tan(
        phi
    ) * math.tan(delta)
    if not -1 <= cos_h <= 1:
        return None
    return math.degrees(math.acos(cos_h)) * 4


def grid(lats, lons, when: datetime):
    """The sun's (elevation, azimuth) over a grid at one moment, as numpy arrays of shape
    (len(lats), len(lons)): the same equations as `position`, the sun's terms computed once
    (they depend on the moment only), so that a band of places over the whole Earth costs
    array arithmetic instead of one full computation per cell."""
    import numpy as np

    if when.tzinfo is None:
        raise ValueError("the time must say its offset from UTC")
    utc = when.astimezone(UTC)
    declination, equation_of_time = _sun_terms(_julian_century(utc))
    minutes = utc.hour * 60 + utc.minute + (utc.second + utc.microsecond / 1e6) / 60
    lat = np.radians(np.asarray(lats, dtype=float))[:, None]
    lon = np.asarray(lons, dtype=float)[None, :]
    true_solar = np.mod(minutes + equation_of_time + 4 * lon, 1440)
    hour_angle = true_solar / 4 - 180
    delta = math.radians(declination)
    cos_zenith = np.sin(lat) * math.sin(delta) + np.cos(lat) * math.cos(delta) * np.cos(
        np.radians(hour_angle)
    )
    zenith = np.degrees(np.arccos(np.clip(cos_zenith, -1.0, 1.0)))
    elevation = 90 - zenith
    sin_zenith = np.sin(np.radians(zenith))
    denominator = np.cos(lat) * sin_zenith
    safe = np.abs(denominator) >= 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        cos_az = (np.sin(lat) * np.cos(np.radians(zenith)) - math.sin(delta)) / np.where(
            safe, denominator, 1.0
        )
    angle = np.degrees(np.arccos(np.clip(cos_az, -1.0, 1.0)))
    azimuth = np.where(hour_angle > 0, np.mod(angle + 180, 360), np.mod(540 - angle, 360))
    azimuth = np.where(safe, azimuth, np.where(np.degrees(lat) > declination, 180.0, 0.0))
    return elevation + _refraction_array(elevation), azimuth


def _refraction_array(elevation):
    """`_refraction` over an array of (unrefracted) elevations."""
    import numpy as np

    e = np.asarray(elevation, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        tan_e = np.tan(np.radians(e))
        high = 58.1 / tan_e - 0.07 / tan_e**3 + 0.000086 / tan_e**5
        low = 1735 + e * (-518.2 + e * (103.4 + e * (-12.79 + e * 0.711)))
        below = -20.772 / tan_e
    seconds = np.where(e > 85, 0.0, np.where(e > 5, high, np.where(e > -0.575, low, below)))
    return seconds / 3600
