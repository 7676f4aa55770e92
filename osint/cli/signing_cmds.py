"""Signed provenance: choose the SSH key that signs your entries; keep the case's allowed signers."""

from pathlib import Path
from typing import Annotated

import typer

from osint.cli.common import get_env
from osint.cli.groups import group

key_app = group(
    "Your SSH signing key: every audit entry you make is signed with it.", ["use", "show"]
)
signers_app = group(
    "The case's allowed signers: who may sign its entries, with which SSH public key.",
    ["add", "list", "remove", "export"],
)


@key_app.command("use")
def key_use(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(metavar="KEY", help="Your OpenSSH private key, e.g. ~/.ssh/id_ed25519."),
    ],
) -> None:
    """Sign your audit entries with this key from now on (kept in your osint config, not in cases)."""
    from osint.case import keys

    env = get_env(ctx)
    chosen = keys.use_key(path, env.passphrase_prompt(path))
    if env.json:
        env.emit_json(chosen)
        return
    env.print(f"Signing with {chosen['type']} key {chosen['fingerprint']} ({chosen['key']})")
    env.note(f"Let colleagues' cases trust it: osint signers add NAME {chosen['key']}.pub")


@key_app.command("show")
def key_show(ctx: typer.Context) -> None:
    """The key that signs your entries: its path, where the choice comes from, its fingerprint."""
    from osint.case import keys

    env = get_env(ctx)
    chosen = keys.configured_key()
    if chosen is None:
        if env.json:
            env.emit_json({"key": None})
            return
        env.print("No signing key: your entries are not signed (choose one: osint key use KEY)")
        return
    path, origin = chosen
    public = keys.public_key_of(path, env.passphrase_prompt(path))
    out = {
        "key": str(path),
        "from": origin,
        "type": public.key_type,
        "fingerprint": public.fingerprint,
        "public_key": public.openssh,
    }
    if env.json:
        env.emit_json(out)
        return
    env.print(f"{public.fingerprint} {public.key_type} {path} (from {origin})")


@signers_app.command("add")
def signers_add(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The investigator, as their entries name them.")
    ],
    key: Annotated[
        str,
        typer.Argument(metavar="PUBKEY|FILE", help="An OpenSSH public key line, or a .pub file."),
    ],
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="A note.")] = None,
) -> None:
    """Allow NAME to sign this case's entries with this public key."""
    from osint.case.signers import add_signer

    env = get_env(ctx)
    with env.case() as case:
        row = add_signer(case, name, key, note=note)
    env.record("signer", row)


@signers_app.command("list")
def signers_list(ctx: typer.Context) -> None:
    """The case's allowed signers."""
    from osint.case.signers import active

    env = get_env(ctx)
    with env.case(readonly=True) as case:
        rows = active(case.conn)
    if env.json:
        env.emit_json(rows)
        return
    env.table(rows, ["id", "name", "fingerprint"], empty="no allowed signers")


@signers_app.command("remove")
def signers_remove(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="ID", help="The signer record (id or prefix).")],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the key is no longer allowed.")
    ],
) -> None:
    """Withdraw a signer: entries its key signs no longer count as allowed."""
    from osint.case.signers import remove_signer

    env = get_env(ctx)
    with env.case() as case:
        row = remove_signer(case, ref, reason)
    env.record("signer", row, verb="Removed")


@signers_app.command("export")
def signers_export(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write here instead of stdout."),
    ] = None,
) -> None:
    """The allowed signers in OpenSSH's format, for `ssh-keygen -Y verify -f FILE`."""
    from osint.case.signers import allowed_signers_text
    from osint.fileio import atomic_path

    env = get_env(ctx)
    with env.case(readonly=True) as case:
        text = allowed_signers_text(case.conn)
    if output is None:
        env.stdout.write(text)
        return
    with atomic_path(output) as partial:
        Path(partial).write_text(text, encoding="utf-8")
    env.print(f"Wrote {output}")
