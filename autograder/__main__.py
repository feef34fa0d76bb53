from autograder.cli import main

if __name__ == "__main__":  # worker processes re-import this module under another name
    raise SystemExit(main())
