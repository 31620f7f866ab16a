// `ckpt stats FILE [--key KEY] [--bins N] [--device cpu|cuda] [--json]` and `ckpt stats FILE --scan`:
// tensor statistics and the whole-file health scan, from the tensor module (LibTorch loaded on demand).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>

#include "cli/command.h"
#include "cli/output.h"
#include "core/format/loader.h"
#include "tensor/tensorloader.h"

namespace ckpt::cli
{

namespace
{

struct StatsCliOptions {
    std::string file;
    std::vector<std::string> keys;
    int bins = 64;
    std::string device = "auto";
    bool json = false;
    bool scan = false;
    double threshold = std::numeric_limits<double>::infinity();
};

nlohmann::json pathJson(const Path& path)
{
    nlohmann::json out = nlohmann::json::array();
    for (const PathElement& e : path)
        out.push_back(e.isIndex ? nlohmann::json(e.index) : nlohmann::json(e.key));
    return out;
}

// "-" for a statistic that has no value (NaN: an empty tensor's mean).
std::string number(double value)
{
    return std::isnan(value) ? "-" : shortNumber(value);
}

nlohmann::json statsJson(const tensor::TensorStats& s)
{
    nlohmann::json histogram = {{"edges", s.edges}, {"counts", s.counts}};
    return {{"count", s.count},   {"min", s.min},       {"max", s.max},       {"mean", s.mean},
            {"std", s.std},       {"zeros", s.zeros},   {"nan", s.nan},       {"posinf", s.posinf},
            {"neginf", s.neginf}, {"finite", s.finite}, {"device", s.device}, {"histogram", histogram}};
}

void printHistogram(const tensor::TensorStats& s)
{
    uint64_t peak = 1;
    for (uint64_t c : s.counts)
        peak = std::max(peak, c);
    for (size_t b = 0; b < s.counts.size(); ++b) {
        const int width = static_cast<int>(40.0 * static_cast<double>(s.counts[b]) / static_cast<double>(peak));
        std::printf("  [%12s, %12s) %10llu %s\n", number(s.edges[b]).c_str(), number(s.edges[b + 1]).c_str(),
                    static_cast<unsigned long long>(s.counts[b]), std::string(static_cast<size_t>(width), '#').c_str());
    }
}

Result<tensor::Backend> backendFor(const std::string& device)
{
    if (device == "auto") return tensor::Backend::Auto;
    if (device == "cpu") return tensor::Backend::Cpu;
    if (device == "cuda" || device.rfind("cuda:", 0) == 0) return tensor::Backend::Cuda;
    return makeError(Status::Unsupported, "--device must be auto, cpu or cuda");
}

int runScan(const StatsCliOptions& o, const Checkpoint& c, tensor::Backend backend)
{
    tensor::HealthOptions options;
    options.threshold = o.threshold;
    options.backend = backend;
    auto report = tensor::scanHealth(c, options);
    if (!report) return reportError(o.file, report.error());
    const tensor::HealthReport& r = report.value();
    if (o.json) {
        nlohmann::json findings = nlohmann::json::array();
        for (const tensor::HealthFinding& f : r.findings)
            findings.push_back({{"key", f.key},
                                {"path", pathJson(c.tensors[static_cast<size_t>(f.tensor)].path)},
                                {"nan", f.nan},
                                {"posinf", f.posinf},
                                {"neginf", f.neginf},
                                {"all_zero", f.allZero},
                                {"max_abs", f.maxAbs},
                                {"over_threshold", f.overThreshold}});
        nlohmann::json skipped = nlohmann::json::array();
        for (const auto& [index, why] : r.skipped)
            skipped.push_back({{"tensor", index}, {"reason", why}});
        nlohmann::json out = {{"file", o.file},          {"scanned", r.tensorsScanned},
                              {"bytes", r.bytesScanned}, {"nonfinite", r.hasNonFinite()},
                              {"findings", findings},    {"skipped", skipped}};
        if (std::isfinite(o.threshold)) out["threshold"] = o.threshold;
        printJson(out);
    } else {
        std::cout << o.file << ": " << r.tensorsScanned << " tensors scanned (" << humanBytes(r.bytesScanned) << ")\n";
        for (const tensor::HealthFinding& f : r.findings) {
            std::cout << "  " << f.key << ":";
            if (f.nan) std::cout << " " << f.nan << " NaN";
            if (f.posinf) std::cout << " " << f.posinf << " +Inf";
            if (f.neginf) std::cout << " " << f.neginf << " -Inf";
            if (f.allZero) std::cout << " all zero";
            if (f.overThreshold) std::cout << " max |value| " << number(f.maxAbs) << " above " << number(o.threshold);
            std::cout << "\n";
        }
        for (const auto& [index, why] : r.skipped)
            std::cout << "  skipped " << why << "\n";
        std::cout << (r.hasNonFinite() ? "NaN/Inf found\n" : "no NaN/Inf\n");
    }
    return r.hasNonFinite() ? ExitFindings : ExitOk;
}

int runStats(const StatsCliOptions& o)
{
    if (o.bins < 0 || o.bins > 1000000) return reportUsage("--bins must be between 0 and 1000000");
    auto backend = backendFor(o.device);
    if (!backend) return reportUsage(backend.error().detail);
    std::string why;
    if (!tensor::tensorModuleAvailable(&why)) return reportError(o.file, makeError(Status::Unsupported, why));
    auto loaded = loadCheckpoint(o.file);
    if (!loaded) return reportError(o.file, loaded.error());
    const Checkpoint& c = *loaded.value();
    if (o.scan) return runScan(o, c, backend.value());

    // Which tensors: the named ones (by weight-set key or path), else every tensor with values of its own.
    std::vector<int> chosen;
    for (const std::string& key : o.keys) {
        int found = -1;
        for (size_t i = 0; i < c.tensors.size() && found < 0; ++i)
            if (tensor::tensorKey(c, static_cast<int>(i)) == key || pathToString(c.tensors[i].path) == key)
                found = static_cast<int>(i);
        if (found < 0) return reportUsage("no tensor named '" + key + "' in " + o.file);
        chosen.push_back(found);
    }
    if (o.keys.empty())
        for (size_t i = 0; i < c.tensors.size(); ++i)
            if (!c.tensors[i].component) chosen.push_back(static_cast<int>(i));

    tensor::StatsOptions options;
    options.bins = o.bins;
    options.backend = backend.value();
    nlohmann::json tensors = nlohmann::json::array();
    for (int index : chosen) {
        const TensorInfo& t = c.tensors[static_cast<size_t>(index)];
        const std::string key = tensor::tensorKey(c, index);
        auto stats = tensor::computeStats(c, index, options);
        if (!stats) {
            // A named tensor that cannot be described is an error; in a whole-file listing it is a note.
            if (!o.keys.empty())
                return reportError(o.file, makeError(stats.error().status, key + ": " + stats.error().detail));
        }
        if (o.json) {
            nlohmann::json entry = {{"key", key},
                                    {"path", pathJson(t.path)},
                                    {"dtype", std::string(dtypeName(t.dtype))},
                                    {"shape", t.shape}};
            if (stats)
                entry.update(statsJson(stats.value()));
            else
                entry["error"] = stats.error().detail;
            tensors.push_back(entry);
            continue;
        }
        std::cout << key << "  " << dtypeName(t.dtype) << " " << shapeText(t.shape);
        if (!stats) {
            std::cout << "  (" << stats.error().detail << ")\n";
            continue;
        }
        const tensor::TensorStats& s = stats.value();
        std::cout << "  count " << s.count << "  min " << number(s.min) << "  max " << number(s.max) << "  mean "
                  << number(s.mean) << "  std " << number(s.std) << "  zeros " << s.zeros;
        if (s.nan || s.posinf || s.neginf)
            std::cout << "  nan " << s.nan << "  +inf " << s.posinf << "  -inf " << s.neginf;
        std::cout << "\n";
        if (!o.keys.empty() && !s.counts.empty()) printHistogram(s);
    }
    if (o.json) printJson({{"file", o.file}, {"tensors", tensors}});
    return ExitOk;
}

const RegisterCommand registerStats{Command{
    "stats", "Tensor statistics and histograms; --scan checks every tensor for NaN/Inf", 60,
    [](CLI::App& sub) -> Runner {
        auto options = std::make_shared<StatsCliOptions>();
        sub.add_option("FILE", options->file, "The checkpoint")->required();
        sub.add_option("--key", options->keys, "Only this tensor (state-dict key or path); repeatable");
        sub.add_option("--bins", options->bins, "Histogram bins (0: none)")->capture_default_str();
        sub.add_option("--device", options->device, "Where to compute: auto, cpu or cuda")->capture_default_str();
        sub.add_flag("--json", options->json, "Print JSON");
        sub.add_flag("--scan", options->scan, "Health scan: NaN/Inf, all-zero tensors, values above --threshold");
        sub.add_option("--threshold", options->threshold, "With --scan: flag finite |values| above this");
        sub.footer("Exit status: 0 ok, 3 NaN/Inf found by --scan, 1 a file could not be read or the tensor\n"
                   "module is unavailable, 2 usage error.");
        return [options] { return runStats(*options); };
    }}};

} // namespace

} // namespace ckpt::cli
