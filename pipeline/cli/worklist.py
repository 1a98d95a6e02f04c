"""The secretary's worklist from the command line: ``dictation tasks`` and ``dictation task``."""
from __future__ import annotations

import datetime as dt
import getpass

from ..errors import DictationError
from .common import desk_options, desk_settings


def _statuses(value: str) -> tuple[str, ...]:
    from ..desk.tasks import STATUSES

    chosen = STATUSES if value == "all" else tuple(s.strip().replace(" ", "_") for s in value.split(","))
    for status in chosen:
        if status not in STATUSES:
            raise DictationError(f"{status!r} is not a task status", f"give --status as one or more of "
                                 f"{', '.join(STATUSES)} (comma-separated), or all")
    return chosen


def cmd_tasks(args) -> int:
    from ..desk import worklist

    settings = desk_settings(args)
    tasks = worklist.listing(settings, statuses=_statuses(args.status), due_before=args.due_before,
                             author=args.author, approved_on=args.approved_on)
    print("\n".join(worklist.lines(tasks)) or "nothing on the worklist")
    if args.export:
        for path in worklist.export(settings, tasks, args.approved_on or dt.date.today().isoformat()):
            print(path)
    return 0


def cmd_task(args) -> int:
    from ..desk import worklist

    task = worklist.mark(desk_settings(args), args.task, args.status.replace(" ", "_").replace("-", "_"),
                         args.reviewer or getpass.getuser(), args.booked_for)
    print(worklist.lines([task])[0])
    return 0


def register(sub) -> None:
    p = sub.add_parser("tasks", help="the worklist: follow-ups, tests, procedures and referrals the approved "
                                     "letters ask for, overdue first")
    desk_options(p, engine=False)
    p.add_argument("--status", default="to_book", help="to_book, booked, done, not_needed (comma-separated), "
                                                       "or all (default: to_book)")
    p.add_argument("--due-before", help="only tasks due before this date, YYYY-MM-DD")
    p.add_argument("--author", help="only the tasks of this author's letters")
    p.add_argument("--approved-on", help="only the tasks of letters approved on this day, YYYY-MM-DD")
    p.add_argument("--export", action="store_true", help="also write them as CSV, iCalendar (.ics) and FHIR "
                                                         "(.fhir.json) into outbox/reports/")
    p.set_defaults(func=cmd_tasks)

    p = sub.add_parser("task", help="mark a task on the worklist: booked (with --for), done or not_needed")
    p.add_argument("task", type=int, metavar="TASK", help="the task's number (dictation tasks lists them)")
    p.add_argument("status", choices=["booked", "done", "not_needed", "to_book"])
    p.add_argument("--for", dest="booked_for", help="the date the appointment is booked for, YYYY-MM-DD")
    p.add_argument("--as", dest="reviewer", help="who (default: your login name)")
    p.set_defaults(func=cmd_task)
    desk_options(p, engine=False)
