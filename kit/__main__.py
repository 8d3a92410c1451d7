from kit.cli import entry

entry()
