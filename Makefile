# imitate: the two commands are `make run` and `make test`.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
IMITATE := $(BUILD_DIR)/bin/imitate
QUICKSTART_DEMOS := data/point_mass-20.h5
KITCHEN_DEMOS := data/kitchen-mkls-10.h5

.PHONY: deps configure build run quickstart test test-all format clean

deps:
	@bash tools/install-deps

configure:
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release; fi

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The headline: make the 10 Kitchen demos (once), run BC and CMIL on them as one batch (two
# processes), print the table (runs/kitchen-headline/report/).
run: deps build
	@mkdir -p data
	@if [ ! -f $(KITCHEN_DEMOS) ]; then \
	  $(IMITATE) demos kitchen --expert kitchen_script --count 10 --seed 0 \
	    --set 'observation=["state", "pixels"]' --out $(KITCHEN_DEMOS); fi
	@$(IMITATE) batch experiments/kitchen/headline.toml -j 2

# The point-mass quickstart: 20 demos, behaviour cloning, a table (about a minute).
quickstart: deps build
	@mkdir -p data
	@if [ ! -f $(QUICKSTART_DEMOS) ]; then \
	  $(IMITATE) demos point_mass --expert point_mass --count 20 --seed 0 \
	    --out $(QUICKSTART_DEMOS); fi
	@$(IMITATE) run experiments/quickstart.toml

# The default suite: unit, plugin and integration tests (not the learning benchmarks).
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -LE slow

test-all: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
