"""`osint export ftm`: FollowTheMoney entities, checked with the followthemoney library itself."""

from __future__ import annotations

import hashlib
import json

from imagery_fixtures import jpeg


def build(cli, tmp_path, article):
    source = cli.json(
        "source", "add", "https://example.org/oil-for-arms", "--title", "Oil for arms",
        "--publisher", "Example News", "--author", "A. Reporter", "--published", "2024-03-05",
        "--snapshot", article, "--grade", "B",
    )  # fmt: skip
    quote = cli.json(
        "quote", "add", "A million barrels is nothing for a major oil producer like Russia",
        "--speaker", "Go Myong-hyun", "--role", "senior researcher", "--source", source["id"],
        "--said", "2024-03-04",
    )  # fmt: skip
    image = cli.json("image", "add", jpeg(tmp_path / "scene.jpg"), "--source", source["id"])
    image = image[0] if isinstance(image, list) else image
    vessel = cli.json(
        "vessel", "add", "PAEK MA", "--imo", "9321483", "--mmsi", "445112000", "--flag", "KP",
        "--call-sign", "HMXX", "--type", "oil tanker", "--alias", "BAEK MA",
    )  # fmt: skip
    cli("vessel", "rename", vessel["id"], "NEW DAWN", "--on", "2023-01-10")
    place = cli.json("place", "add", "Vostochny", "--at", "42.7417,133.0517", "--radius-m", "1500")
    sighting = cli.json(
        "sighting", "add", vessel["id"], "--when", "2024-02-11T03:20:00Z", "--place", place["id"],
        "--image", image["id"], "--source", source["id"], "--activity", "loading",
    )  # fmt: skip
    finding = cli.json("finding", "add", "The tanker loaded oil", "--supported-by", source["id"])
    cli("link", finding["id"], vessel["id"], "--as", "mentions")
    cli("link", image["id"], vessel["id"], "--as", "depicts")
    return {
        "source": source,
        "quote": quote,
        "image": image,
        "vessel": vessel,
        "place": place,
        "sighting": sighting,
        "finding": finding,
        "article": article,
        "jpeg": tmp_path / "scene.jpg",
    }


def load(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_every_entity_is_valid_for_the_followthemoney_model(cli, tmp_path, article):
    from followthemoney import model
    from followthemoney.types import registry

    built = build(cli, tmp_path, article)
    out = tmp_path / "case.ftm.json"
    summary = cli.json("export", "ftm", "-o", out)
    entities = load(out)
    assert summary["entities"] == len(entities)
    ids = {e["id"] for e in entities}
    assert len(ids) == len(entities)
    for data in entities:
        proxy = model.get_proxy(data, cleaned=False)  # re-validates and cleans every value
        assert proxy.schema.name == data["schema"] and not proxy.schema.abstract
        assert proxy.to_dict()["properties"] == data["properties"], data  # nothing was invalid
        for prop in proxy.schema.properties.values():
            if prop.type == registry.entity:
                for ref in proxy.get(prop):
                    assert ref in ids, f"{data['id']} {prop.name} -> missing {ref}"
    by_id = {e["id"]: e for e in entities}
    vessel = by_id[f"osint-{built['vessel']['id']}"]
    assert vessel["schema"] == "Vessel"
    props = vessel["properties"]
    assert props["name"] == ["NEW DAWN"] and props["previousName"] == ["PAEK MA"]
    assert props["alias"] == ["BAEK MA"] and props["imoNumber"] == ["IMO9321483"]
    assert props["mmsi"] == ["445112000"] and props["flag"] == ["kp"]
    assert props["callSign"] == ["HMXX"] and props["nameChangeDate"] == ["2023-01-10"]
    document = by_id[f"osint-{built['source']['id']}"]["properties"]
    snapshot_bytes = built["article"].read_bytes()
    assert document["contentHash"] == [hashlib.sha1(snapshot_bytes).hexdigest()]
    assert f"snapshot SHA-256 {hashlib.sha256(snapshot_bytes).hexdigest()}" in document["notes"]
    image = by_id[f"osint-{built['image']['id']}"]
    assert image["schema"] == "Image"
    assert image["properties"]["contentHash"] == [
        hashlib.sha1(built["jpeg"].read_bytes()).hexdigest()
    ]
    event = by_id[f"osint-{built['sighting']['id']}"]
    assert event["schema"] == "Event" and event["properties"]["date"] == ["2024-02-11T03:20:00"]
    assert set(event["properties"]["proof"]) == {image["id"], f"osint-{built['source']['id']}"}
    quote = by_id[f"osint-{built['quote']['id']}"]
    assert quote["schema"] == "Note"
    speaker = by_id[quote["properties"]["entity"][0]]
    assert speaker["schema"] == "Person" and speaker["properties"]["name"] == ["Go Myong-hyun"]
    schemas = {e["schema"] for e in entities}
    assert {"Organization", "Documentation", "Address", "UnknownLink"} <= schemas
    publisher = [
        e for e in entities if e["schema"] == "Organization"
        and e["properties"]["name"] == ["Example News"]
    ]  # fmt: skip
    assert publisher
    # The relations: the vessel sighted at the event, the image depicting the vessel.
    links = {
        (e["properties"]["subject"][0], e["properties"]["role"][0], e["properties"]["object"][0])
        for e in entities
        if e["schema"] == "UnknownLink"
    }
    assert (vessel["id"], "sighted", event["id"]) in links
    assert (image["id"], "depicts", vessel["id"]) in links


def test_ids_are_stable_across_exports(cli, tmp_path, article):
    build(cli, tmp_path, article)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    cli("export", "ftm", "-o", first)
    cli("export", "ftm", "-o", second)
    assert first.read_bytes() == second.read_bytes()


def test_retracted_records_are_left_out(cli, tmp_path, article):
    built = build(cli, tmp_path, article)
    cli("retract", built["finding"]["id"], "--reason", "wrong")
    out = tmp_path / "case.ftm.json"
    cli("export", "ftm", "-o", out)
    assert f"osint-{built['finding']['id']}" not in {e["id"] for e in load(out)}
