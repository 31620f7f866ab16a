// In-process time to open checkpoints (map + parse pickle and directory), best of N runs, in milliseconds.
// Used by bench_core.py; not a test.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/format/loader.h"

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_open FILE [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? std::atoi(argv[2]) : 5;
    double best = 1e300;
    size_t tensors = 0;
    for (int i = 0; i < runs; ++i) {
        auto start = std::chrono::steady_clock::now();
        auto doc = ckpt::loadCheckpoint(argv[1]);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (!doc) {
            std::fprintf(stderr, "%s\n", doc.error().describe(argv[1]).c_str());
            return 1;
        }
        tensors = doc.value()->tensors.size();
        if (ms < best) best = ms;
    }
    std::printf("%.3f %zu\n", best, tensors);
    return 0;
}
