# The two set-up commands (see README): `make run` and `make test`. Both install what they need.
.PHONY: run test bench setup clean

run:
	scripts/setup.sh
	.venv/bin/zhidu init --demo
	.venv/bin/zhidu serve --host 127.0.0.1 --port 5000

test:
	scripts/setup.sh --test
	.venv/bin/python -m pytest -q -p no:cacheprovider

bench:
	scripts/setup.sh
	.venv/bin/python -m bench

setup:
	scripts/setup.sh --test

clean:
	rm -rf .venv node_modules var webui/static/vendor test-artifacts
