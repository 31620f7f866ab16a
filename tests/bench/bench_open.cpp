// In-process time to open a checkpoint (map, parse the zip directory and the pickle, build the document), median
// and best of N runs in milliseconds, and what one open reads: bytes through read() (/proc/self/io rchar) and
// mapped pages touched (minor + major page faults x page size). Used by bench_core.py; not a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include "core/format/loader.h"

namespace
{

long long readChars()
{
    std::ifstream io("/proc/self/io");
    std::string key;
    long long value = 0;
    while (io >> key >> value)
        if (key == "rchar:") return value;
    return -1;
}

long long pageFaults()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt + usage.ru_majflt;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_open FILE [RUNS]\n");
        return 2;
    }
    const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
    std::vector<double> times;
    size_t tensors = 0;
    long long readBytes = 0;
    long long faultBytes = 0;
    for (int i = 0; i < runs; ++i) {
        const long long chars0 = readChars();
        const long long faults0 = pageFaults();
        auto start = std::chrono::steady_clock::now();
        auto doc = ckpt::loadCheckpoint(argv[1]);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (!doc) {
            std::fprintf(stderr, "%s\n", doc.error().describe(argv[1]).c_str());
            return 1;
        }
        // The first run is the honest one for bytes: later runs reuse the allocator's pages.
        if (i == 0) {
            readBytes = readChars() - chars0;
            faultBytes = (pageFaults() - faults0) * sysconf(_SC_PAGESIZE);
        }
        tensors = doc.value()->tensors.size();
        times.push_back(ms);
    }
    std::sort(times.begin(), times.end());
    // median_ms best_ms tensors read_bytes touched_bytes
    std::printf("%.3f %.3f %zu %lld %lld\n", times[times.size() / 2], times.front(), tensors, readBytes, faultBytes);
    return 0;
}
