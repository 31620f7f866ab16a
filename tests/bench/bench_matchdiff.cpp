// In-process cost of `ckpt match` and `ckpt diff` (metadata) on two 40,000-key checkpoints, with loading
// measured apart: the goal (< 0.5 s) is about the work after both files are open. Each step the
// CLI does is timed on its own, best of N with steady_clock: the engine call, building the JSON document,
// writing its text (as `--json` prints it) and freeing it. Used by bench_matchdiff.py; not a test.
//
// Output, one figure a line, tab-separated: NAME, SECONDS, then GOAL and PASS/MISS on the totals.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/analysis/archresolver.h"
#include "core/analysis/checkpointdiff.h"
#include "core/analysis/matchreport.h"
#include "core/format/loader.h"

using namespace ckpt;

namespace
{

constexpr double kGoalSeconds = 0.5;

double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU time of this thread: on a machine shared with builds, wall time also counts waiting for a core.
double threadCpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Times `step` into the slot `best` (minimum over runs) and returns what it returned.
template <typename F> auto timed(double& best, F&& step)
{
    auto start = std::chrono::steady_clock::now();
    auto result = step();
    best = std::min(best, secondsSince(start));
    return result;
}

void printFigure(const std::string& name, double seconds)
{
    std::printf("%s\t%.4f\n", name.c_str(), seconds);
}

void printTotal(const std::string& name, double seconds, double cpuSeconds)
{
    std::printf("%s\t%.4f\t< %.1f\t%s\n", name.c_str(), seconds, kGoalSeconds,
                seconds < kGoalSeconds ? "PASS" : "MISS");
    printFigure(name + " CPU time", cpuSeconds);
}

// The three JSON steps every `--json` run pays after the engine: build the document, write the text
// exactly as printJson does, free the document.
struct JsonTimes {
    double build = 1e300, text = 1e300, free = 1e300;
};

void timeJson(JsonTimes& times, const std::function<nlohmann::json()>& build)
{
    auto* json = timed(times.build, [&] { return new nlohmann::json(build()); });
    std::string text =
        timed(times.text, [&] { return json->dump(2, ' ', false, nlohmann::json::error_handler_t::replace); });
    timed(times.free, [&] {
        delete json;
        return text.size();
    });
}

[[noreturn]] void fail(const std::string& message)
{
    std::fprintf(stderr, "bench_matchdiff: %s\n", message.c_str());
    std::exit(1);
}

CheckpointPtr load(const char* path)
{
    auto start = std::chrono::steady_clock::now();
    auto loaded = loadCheckpoint(path);
    if (!loaded) fail(loaded.error().describe(path));
    double seconds = secondsSince(start);
    const WeightSet* set = loaded.value()->mainWeightSet();
    if (!set) fail(std::string(path) + ": no state dict");
    printFigure("load " + std::to_string(set->entries.size()) + " keys " + path + " (not in totals)", seconds);
    return loaded.value();
}

// Times matching `file` against the architecture `resolve` makes, and checks the verdict the bench expects:
// every key fixable by removing `module.`.
void benchMatch(const std::string& label, const Checkpoint& file, const std::function<ArchitectureSpec()>& resolve,
                int runs)
{
    double arch = 1e300, engine = 1e300, total = 1e300, cpu = 1e300;
    JsonTimes json;
    for (int i = 0; i < runs; ++i) {
        auto start = std::chrono::steady_clock::now();
        double cpuStart = threadCpuSeconds();
        ArchitectureSpec spec = timed(arch, resolve);
        Result<MatchReport> report = timed(engine, [&] { return matchCheckpoint(file, spec); });
        if (!report) fail(label + ": " + report.error().detail);
        if (report.value().summary.renamed != file.mainWeightSet()->entries.size() ||
            report.value().rule.stripPrefixes != std::vector<std::string>{"module."})
            fail(label + ": unexpected verdict: " + report.value().summaryText());
        timeJson(json, [&] { return report.value().toJson(); });
        total = std::min(total, secondsSince(start));
        cpu = std::min(cpu, threadCpuSeconds() - cpuStart);
    }
    printFigure(label + ": architecture", arch);
    printFigure(label + ": engine matchCheckpoint", engine);
    printFigure(label + ": JSON build toJson", json.build);
    printFigure(label + ": JSON text dump(2)", json.text);
    printFigure(label + ": JSON free", json.free);
    printTotal(label + ": total", total, cpu);
}

void benchDiff(const std::string& label, const Checkpoint& left, const Checkpoint& right, int runs)
{
    double engine = 1e300, total = 1e300, cpu = 1e300;
    JsonTimes json;
    for (int i = 0; i < runs; ++i) {
        auto start = std::chrono::steady_clock::now();
        double cpuStart = threadCpuSeconds();
        Result<CheckpointDiff> diff = timed(engine, [&] { return diffCheckpoints(left, right); });
        if (!diff) fail(label + ": " + diff.error().detail);
        // The wrapper prefix has to be found, or every key would be a one-sided entry and the figure meaningless.
        if (!diff.value().equal() || diff.value().aligned != left.mainWeightSet()->entries.size())
            fail(label + ": unexpected verdict: " + diff.value().summaryText());
        timeJson(json, [&] { return diff.value().toJson(); });
        total = std::min(total, secondsSince(start));
        cpu = std::min(cpu, threadCpuSeconds() - cpuStart);
    }
    printFigure(label + ": engine diffCheckpoints", engine);
    printFigure(label + ": JSON build toJson", json.build);
    printFigure(label + ": JSON text dump(2)", json.text);
    printFigure(label + ": JSON free", json.free);
    printTotal(label + ": total", total, cpu);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: bench_matchdiff PREFIXED.pth PLAIN.pth KEYS.json [RUNS [ONLY]]\n"
                             "  PREFIXED: keys `module.K`; PLAIN: the same keys K; KEYS.json: {\"keys\": {K: shape}}\n"
                             "  ONLY: checkpoint, json or diff, to profile one part (perf record)\n");
        return 2;
    }
    const int runs = argc > 4 ? std::max(1, std::atoi(argv[4])) : 5;
    const std::string only = argc > 5 ? argv[5] : "";
    auto wanted = [&only](const char* part) { return only.empty() || only == part; };
    CheckpointPtr prefixed = load(argv[1]);
    CheckpointPtr plain = load(argv[2]);

    if (wanted("checkpoint"))
        benchMatch(
            "match vs ckpt", *prefixed,
            [&] { return architectureFromWeightSet(*plain, *plain->mainWeightSet(), "plain", "checkpoint"); }, runs);
    const std::string keysPath = argv[3];
    if (wanted("json"))
        benchMatch(
            "match vs JSON keys", *prefixed,
            [&] {
                // As the CLI resolves `--against keys.json`: read and parse the file, every run.
                Result<ArchitectureSpec> spec = resolveArchitecture(keysPath);
                if (!spec) fail(spec.error().describe(keysPath));
                return std::move(spec).value();
            },
            runs);
    if (wanted("diff")) benchDiff("metadata diff", *prefixed, *plain, runs);
    return 0;
}
