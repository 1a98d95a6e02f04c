"""Phone messages: ``message FILE...`` (read voicemails given by hand), ``messages`` (the
callback list) and ``mark JOB STATUS`` (what the desk did about one)."""
from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

from ..errors import DictationError
from .common import desk_options, desk_settings, engine_for, engine_options, settings_of

FIELDS = ("reason", "urgent", "red_flags", "caller", "patient", "dob", "callback", "medication", "strength",
          "pharmacy", "times", "silent", "transcript")


def cmd_message(args) -> int:
    """One JSON line (or a short text) per voicemail file."""
    from ..asr.audio import decode
    from ..phone import listen
    from ..phone.message import decode_options as phone_options
    from ..process import decode_options, transcribe_audio

    settings = settings_of(args)
    engine, options = engine_for(settings), phone_options(decode_options(settings))
    failures = 0
    for name in args.files:
        path = Path(name)
        try:
            audio = decode(path)
            message = listen.message(transcribe_audio(audio, path.name, engine, options), audio, engine, options)
        except DictationError as err:
            print(f"error: {err}", file=sys.stderr)
            failures += 1
            continue
        facts = {k: message.to_dict()[k] for k in FIELDS}
        if args.json:
            print(json.dumps({"file": path.name} | facts, ensure_ascii=False))
        else:
            print(f"==> {path.name} <==")
            print(_text(facts))
    return 1 if failures else 0


def _text(facts: dict) -> str:
    lines = []
    if facts["urgent"]:
        lines.append(f"URGENT, needs a clinician now: heard {', '.join(facts['red_flags'])}")
    if facts["silent"]:
        lines.append("no speech heard: a hang-up or line noise")
    lines += [f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in facts.items()
              if k not in ("urgent", "red_flags", "silent", "transcript") and v not in (None, [], ())]
    lines.append(f"said: {facts['transcript']}")
    return "\n".join(lines)


def cmd_messages(args) -> int:
    from ..desk.messages import callback_list

    listed = callback_list(desk_settings(args).db, open_only=not args.all)
    if args.json:
        for item in listed:
            print(json.dumps({"job": item.job_id, "received_at": item.received_at, "status": item.status}
                             | {k: item.message.to_dict()[k] for k in FIELDS}, ensure_ascii=False))
        return 0
    if not listed:
        print("No phone messages to answer." if not args.all else "No phone messages.")
    for item in listed:
        m = item.message
        who = m.caller or "caller unknown"
        about = f" about {m.patient}" if m.patient and m.patient != m.caller else (f" about their {m.relation}"
                                                                                   if m.relation else "")
        head = "URGENT " if m.urgent else ""
        print(f"{head}{item.received_at[:16].replace('T', ' ')}  {item.job_id}  {m.reason:<11}  {who}{about}"
              f"  call {m.callback or 'number not heard'}  [{item.status}]")
        if m.urgent:
            print(f"    needs a clinician now: heard {'; '.join(m.red_flags)}")
        if m.silent:
            print("    no speech heard: a hang-up or line noise; listen to check")
    return 0


def cmd_mark(args) -> int:
    from ..desk.messages import mark

    item = mark(desk_settings(args).db, args.job, args.status, args.reviewer or getpass.getuser(), args.note or "")
    print(f"{item.job_id}: {item.status}")
    return 0


def register(sub) -> None:
    from ..desk.messages import STATUSES

    p = sub.add_parser("message", help="read voicemail files: reason, urgency, caller, patient, callback number...")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON line per file")
    engine_options(p)
    p.set_defaults(func=cmd_message)

    p = sub.add_parser("messages", help="the callback list: urgent first, then oldest first")
    p.add_argument("--all", action="store_true", help="answered ones too")
    p.add_argument("--json", action="store_true", help="one JSON line per message")
    desk_options(p, engine=False)
    p.set_defaults(func=cmd_messages)

    p = sub.add_parser("mark", help="record what was done about a phone message")
    p.add_argument("job", metavar="JOB", help="the message's job id (dictation messages lists them)")
    p.add_argument("status", choices=STATUSES[1:] + ("open",))
    p.add_argument("--note", help="what was said or done")
    p.add_argument("--as", dest="reviewer", help="who (default: your login name)")
    desk_options(p, engine=False)
    p.set_defaults(func=cmd_mark)
