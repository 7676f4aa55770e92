"""Demo step 1: the report as a graded source with its snapshot, the experts' quotes verified
against it, and findings for the headline figures."""

from __future__ import annotations

from importlib import resources

from osint import sources
from osint.timeutil import now_iso

# The report the worked example follows: BBC News, 22 November 2024, by Jean Mackenzie (Seoul
# correspondent), on the Open Source Centre's analysis of satellite imagery. Its web address is
# not kept here (osint never fetches it); the locator is the citation. The snapshot stored with it
# is the demo's own copy: the report's quotations verbatim, the paragraphs paraphrased.
LOCATOR = "BBC News, 22 November 2024, Jean Mackenzie: Russia gives North Korea a million barrels of oil, report finds"
TITLE = "Russia gives North Korea a million barrels of oil, report finds"
PUBLISHER = "BBC News"
AUTHOR = "Jean Mackenzie"
PUBLISHED = "2024-11-22"

# (speaker, role, quote as published, note)
QUOTES = [
    (
        "David Lammy",
        "British Foreign Secretary",
        "To continue fighting in Ukraine, Russia has become increasingly dependent on North Korea "
        "to obtain troops and weapons in exchange for oil,",
        None,
    ),
    (
        "Joe Byrne",
        "Open Source Centre",
        "This constant flow of oil gives North Korea a level of stability it hasn’t had since "
        "these sanctions were introduced.",
        None,
    ),
    (
        "Hugh Griffiths",
        "Former leader of a UN panel monitoring sanctions against North Korea",
        "These transfers are fueling Putin’s war machine – this is oil for missiles, oil for "
        "artillery and now oil for soldiers",
        None,
    ),
    (
        "Go Myong-hyun",
        "Senior researcher, National Security Strategy Institute (South Korea)",
        "A million barrels is nothing for a major oil producer like Russia to release, but it is "
        "a substantial amount for North Korea to receive",
        None,
    ),
    (
        "Go Myong-hyun",
        "Senior researcher, National Security Strategy Institute (South Korea)",
        "If we are sending our people to die in a foreign war, a million barrels of oil is not "
        "enough reward.",
        None,
    ),
    (
        "Penton-Voak",
        "Open Source Centre leadership",
        "the fact that Russia is now encouraging these ships to visit its ports and load oil "
        "shows a new level of contempt for sanctionss",
        "Verbatim as published, including the spelling 'sanctionss' [sic].",
    ),
    (
        "Penton-Voak",
        "Open Source Centre leadership",
        "Now we have these autocratic regimes working more and more together to help each other "
        "get what they want and ignore the wishes of the international community,",
        None,
    ),
    (
        "Andrei Lankov",
        "Expert on North Korea-Russia relations, Kookmin University, Seoul",
        "I used to think that it was not in Russia’s interests share military technology, but "
        "perhaps your calculation has changed. The Russians need these troops and this gives the "
        "North Koreans more power",
        None,
    ),
]


def build(case, folder) -> None:
    snapshot_file = resources.files("osint.demo").joinpath("article.html")
    with resources.as_file(snapshot_file) as path:
        prepared = sources.prepare_snapshot(path, retrieved_at=now_iso())
    prepared.filename = "vostochny-report.html"
    source = sources.add_source(
        case,
        LOCATOR,
        title=TITLE,
        publisher=PUBLISHER,
        author=AUTHOR,
        published=PUBLISHED,
        grade="B",
        note=(
            "The archived copy is the demo's own: the report's quotations verbatim and "
            "attributed as published, its paragraphs paraphrased. The findings F1 to F3 state "
            "what the report says; vessels, sightings, pictures and AIS positions are "
            "illustrative."
        ),
        snapshot=prepared,
    )
    quotes = {}
    for speaker, role, text, note in QUOTES:
        quote = sources.add_quote(
            case, text, speaker=speaker, source_ref=source["id"], role=role, note=note
        )
        quotes.setdefault(speaker, []).append(quote["id"])
    sources.add_finding(
        case,
        "More than a dozen different North Korean oil tankers called at an oil terminal in "
        "Russia's Far East 43 times in eight months.",
        supported_by=[source["id"]],
        note="As the report states, from the Open Source Centre's analysis of satellite imagery.",
        confidence="moderate",
    )
    sources.add_finding(
        case,
        "About one million barrels of oil have gone from Russia to North Korea since March 2024, "
        "twice the UN cap of 500,000 barrels a year.",
        supported_by=[source["id"], quotes["Go Myong-hyun"][0]],
        note="The report's estimate; the case's own illustrative count is F4.",
        confidence="moderate",
    )
    sources.add_finding(
        case,
        "Officials and analysts describe the oil as payment for North Korean weapons and troops "
        "sent to Russia for its war in Ukraine.",
        supported_by=[
            quotes["David Lammy"][0],
            quotes["Hugh Griffiths"][0],
            quotes["Andrei Lankov"][0],
        ],
        confidence="high",
    )
