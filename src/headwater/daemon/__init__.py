"""headwater.daemon: what runs schedules, sensors, automation, backfills and the run queue.

daemon.py is the loop; scheduler.py, sensors.py and automation.py tick schedules, sensors and
automation condition sensors (through the code server), instigation.py launches a tick's runs
exactly once, backfill.py and queue.py/launcher.py create and start runs (run_launcher.py:
the pluggable run launcher that starts each run's worker; forkserver.py: the process the
default launcher forks workers from), monitor.py watches run workers, worker.py is a run
worker, dry_run.py evaluates test ticks without storing anything (or launches one by hand
through the same path), retention.py deletes old ticks and runs in bounded passes, lease.py
keeps the loops to one daemon per instance, and crash.py holds the crash points of the
crash-recovery tests.
"""
