"""How often osint decodes an undeclared text right, against charset-normalizer and chardet.

A labelled set is a folder of folders named by encoding (`windows-1251-russian/`, `EUC-KR/`, ...),
each holding texts in that encoding, as in chardet's test suite (github:chardet/chardet, tests/):

    python bench/encoding_detection.py /path/to/labelled [--show-misses]
    python bench/encoding_detection.py --build OUT /path/to/chardet/tests   # then run on OUT

`--build` makes a second, independent set from those texts: the text of each file (markup
dropped), cut into snippets of 300 characters and re-encoded into the other code pages its
language is written in (Russian in KOI8-R, ISO-8859-5, CP866, Mac; Arabic in ISO-8859-6 and
windows-1256; Japanese in Shift_JIS, EUC-JP, ISO-2022-JP; UTF-16/32 without byte-order marks;
...), so a detector tuned on chardet's files meets texts it has not seen, and short ones.

A text counts as right when the decoded text equals the text as a browser decodes its label
(WHATWG: ISO-8859-1 is read as windows-1252, Shift_JIS as CP932, GB2312 as GB18030), so a
detector naming the label or its browser superset is right when the characters are the same.
Texts are read undeclared (no HTTP charset, no <meta>: plain text), as `osint source add
--snapshot notes.txt` reads them. Prints accuracy overall and per label, for osint, for
charset-normalizer restricted to web encodings (what osint did before), and for chardet.
"""

from __future__ import annotations

import argparse
import codecs
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from osint.sources import extract as textextract  # noqa: E402

LABELS = {
    "ascii": "ascii",
    "iso-8859-2-croatian": "iso8859_2",
    "iso-8859-2-czech": "iso8859_2",
    "iso-8859-2-hungarian": "iso8859_2",
    "iso-8859-2-polish": "iso8859_2",
    "iso-8859-2-slovak": "iso8859_2",
    "iso-8859-2-slovene": "iso8859_2",
    "iso-8859-5-bulgarian": "iso8859_5",
    "iso-8859-5-russian": "iso8859_5",
    "iso-8859-6-arabic": "iso8859_6",
    "iso-8859-7-greek": "iso8859_7",
    "iso-8859-9-turkish": "iso8859_9",
    "EUC-TW": None,  # no Python codec
    "Johab": "johab",
    "MacCyrillic": "mac_cyrillic",
    "MacRoman": "mac_roman",
}


def codec_of(label: str) -> str | None:
    if "~" in label:  # a re-encoded text (--build): Python's codec name ~ language
        return textextract.codec_for(label.split("~")[0]) or label.split("~")[0]
    if label in LABELS:
        return textextract.codec_for(LABELS[label]) if LABELS[label] else None
    name = label
    for suffix in ("-hebrew", "-arabic", "-russian", "-bulgarian", "-turkish", "-greek",
                   "-czech", "-polish", "-slovak", "-slovene", "-croatian", "-hungarian",
                   "-romanian"):  # fmt: skip
        name = name.removesuffix(suffix)
    browser = textextract.codec_for(name)
    if browser:
        return browser
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def legacy_detect(data: bytes) -> str:
    """What osint did before: UTF-8, else charset-normalizer among web encodings."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=list(textextract._WEB_ENCODINGS)).best()
    if best is None:
        return data.decode("cp1252", errors="replace")
    return data.decode(textextract.codec_for(best.encoding) or best.encoding, errors="replace")


def chardet_detect(data: bytes) -> str:
    import chardet

    guess = chardet.detect(data).get("encoding") or "cp1252"
    try:
        return data.decode(guess, errors="replace")
    except LookupError:
        return data.decode("cp1252", errors="replace")


def osint_detect(data: bytes) -> str:
    return textextract.decode_detailed(data, None, html=False)[0]


FAMILIES = {
    # language texts (chardet test folders) -> the encodings the language is written in
    ("windows-1251-russian", "KOI8-R"): (
        "cp1251", "koi8_r", "iso8859_5", "cp866", "mac_cyrillic", "utf-16-le", "utf-16-be",
        "utf-32-le",
    ),
    ("windows-1251-bulgarian",): ("cp1251", "iso8859_5"),
    ("windows-1256-arabic", "iso-8859-6-arabic"): ("cp1256", "iso8859_6", "utf-16-le"),
    ("windows-1255-hebrew",): ("cp1255", "iso8859_8"),
    ("iso-8859-7-greek",): ("cp1253", "iso8859_7"),
    ("iso-8859-9-turkish", "windows-1254-turkish"): ("cp1254", "iso8859_9"),
    ("windows-1250-czech", "windows-1250-hungarian", "windows-1250-polish",
     "windows-1250-slovak", "iso-8859-2-hungarian"): ("cp1250", "iso8859_2"),
    ("TIS-620",): ("cp874",),
    ("EUC-JP",): ("shift_jis", "euc_jp", "iso2022_jp", "utf-16-be"),
    ("EUC-KR",): ("euc_kr", "iso2022_kr"),
    ("GB2312",): ("gb18030",),
    ("Big5",): ("big5",),
    ("windows-1252", "iso-8859-1"): ("cp1252", "iso8859_15"),
}  # fmt: skip


def build(out: Path, chardet_tests: Path, size: int = 300) -> None:
    import re

    count = 0
    for folders, targets in FAMILIES.items():
        for folder in folders:
            codec = codec_of(folder)
            for path in sorted((chardet_tests / folder).iterdir()):
                text = path.read_bytes().decode(codec, errors="replace")
                text = re.sub(r"<[^>]*>|&[a-z#0-9]+;|https?://\S+", " ", text)
                text = " ".join(w for w in text.split() if "\ufffd" not in w)
                if len(text) < size:
                    continue
                middle = text[len(text) // 3 :][:size]
                for target in targets:
                    try:
                        data = middle.encode(target)
                    except UnicodeEncodeError:
                        continue
                    if data == middle.encode("ascii", "ignore"):
                        continue  # no character outside ASCII: nothing to detect
                    language = folder.split("-")[-1].lower() if "-" in folder else folder
                    label = f"{target}~{language}"
                    (out / label).mkdir(parents=True, exist_ok=True)
                    (out / label / f"{path.stem}.txt").write_bytes(data)
                    count += 1
    print(f"{count} texts written under {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--build", type=Path, metavar="OUT", help="build the re-encoded set")
    args = parser.parse_args()
    if args.build:
        build(args.build, args.folder)
        return
    detectors = {"osint": osint_detect, "legacy": legacy_detect, "chardet": chardet_detect}
    right = {name: defaultdict(int) for name in detectors}
    total: dict[str, int] = defaultdict(int)
    seconds = dict.fromkeys(detectors, 0.0)
    for folder in sorted(p for p in args.folder.iterdir() if p.is_dir()):
        codec = codec_of(folder.name)
        if codec is None:
            continue
        for path in sorted(folder.iterdir()):
            data = path.read_bytes()
            try:
                expected = data.decode(codec)
            except UnicodeDecodeError:
                expected = data.decode(codec, errors="replace")
            expected = expected.removeprefix("\ufeff")
            total[folder.name] += 1
            for name, detect in detectors.items():
                start = time.perf_counter()
                got = detect(data).removeprefix("\ufeff")
                seconds[name] += time.perf_counter() - start
                if got == expected:
                    right[name][folder.name] += 1
                elif args.show_misses and name == "osint":
                    print(f"miss: {path}: {textextract.decode_detailed(data)[1:]}")
    files = sum(total.values())
    print(f"{files} labelled texts in {len(total)} encodings/languages")
    print(f"{'label':28} {'n':>4} " + " ".join(f"{n:>8}" for n in detectors))
    for label in sorted(total):
        print(
            f"{label:28} {total[label]:>4} "
            + " ".join(f"{right[n][label] / total[label]:>8.0%}" for n in detectors)
        )
    print(
        f"{'ALL':28} {files:>4} "
        + " ".join(f"{sum(right[n].values()) / files:>8.1%}" for n in detectors)
    )
    print("seconds: " + ", ".join(f"{n} {s:.1f}" for n, s in seconds.items()))


if __name__ == "__main__":
    main()
