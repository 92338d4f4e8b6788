# The two set-up commands (see README): `make run` and `make test`. Both install what they need.
.PHONY: run test bench setup clean

run:
	scripts/setup.sh
	.venv/bin/zhidu init --demo
	.venv/bin/zhidu serve --host 127.0.0.1 --port 5000

test:
	scripts/setup.sh --test
	.venv/bin/python -m pytest -q -p no:cacheprovider

# Every benchmark, the Locust load test on PostgreSQL and SQLite at issue 17's size (20 users,
# 5 minutes each) among them, then one summary table.
bench:
	scripts/setup.sh --bench
	.venv/bin/python -m bench

setup:
	scripts/setup.sh --test

clean:
	rm -rf .venv node_modules var webui/static/vendor test-artifacts
