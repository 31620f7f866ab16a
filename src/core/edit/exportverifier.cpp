#include "core/edit/exportverifier.h"

#include <algorithm>

#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "core/catchboundary.h"
#include "core/edit/safetensorswriter.h"
#include "core/format/loader.h"
#include "core/io/mappedfile.h"

namespace ckpt
{

namespace
{

// Pages of the written file that were only read to hash a tensor: handed back to the kernel, so verifying
// a multi-GB export keeps resident memory near one tensor instead of growing to the file's size.
void releaseTensorPages(const Checkpoint& checkpoint, int tensor)
{
    const TensorInfo& info = checkpoint.tensors[static_cast<size_t>(tensor)];
    if (info.storage < 0) return;
    const StorageInfo& storage = checkpoint.storages[static_cast<size_t>(info.storage)];
    if (!storage.available || storage.owned || storage.file < 0 ||
        static_cast<size_t>(storage.file) >= checkpoint.files.size())
        return;
    const MappedFile& file = *checkpoint.files[static_cast<size_t>(storage.file)];
    static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    uint64_t begin = (storage.fileOffset + page - 1) / page * page;
    uint64_t end = std::min(storage.fileOffset + storage.nbytes, file.size()) / page * page;
    if (end > begin) ::madvise(const_cast<uint8_t*>(file.data()) + begin, end - begin, MADV_DONTNEED);
}

std::string describe(const TensorSignature& s)
{
    return std::string(dtypeName(s.dtype)) + " " + shapeText(s.shape);
}

} // namespace

bool TensorSignature::operator<(const TensorSignature& o) const
{
    if (dtype != o.dtype) return dtype < o.dtype;
    if (shape != o.shape) return shape < o.shape;
    return hash < o.hash;
}

TensorSignature tensorSignature(const Checkpoint& checkpoint, int tensor)
{
    const TensorInfo& info = checkpoint.tensors[static_cast<size_t>(tensor)];
    TensorSignature signature{info.dtype, info.shape, 0};
    const uint8_t* data = checkpoint.tensorData(tensor);
    if (!data || info.layout != TensorLayout::Strided) return signature;
    if (isRowMajor(info.shape, info.stride)) {
        signature.hash = XXH3_64bits(data, info.nbytes);
    } else {
        std::string gathered;
        gatherStrided(data, info.shape, info.stride, dtypeElementSize(info.dtype), gathered);
        signature.hash = XXH3_64bits(gathered.data(), gathered.size());
    }
    return signature;
}

namespace
{

Result<VerifyCounts> verifyUnguarded(const std::string& path, const ExportExpectation& expected)
{
    Result<CheckpointPtr> loaded = loadCheckpoint(path);
    if (!loaded) {
        Error error = loaded.error();
        error.detail = "the written file does not read back: " + error.detail;
        return error;
    }
    const Checkpoint& written = *loaded.value();
    auto fail = [](std::string detail) { return makeError(Status::Corrupt, "verification failed: " + detail); };
    VerifyCounts counts;

    // The engine's own scan of what was written: whatever the input held, the output may import nothing
    // dangerous (this is what proves that dropping payloads left none behind).
    for (const GlobalRef& ref : written.globals)
        if (ref.severity == Severity::Dangerous)
            return fail("the written file imports the dangerous global " + ref.module + "." + ref.name);
    if (!written.dangerousCalls.empty()) {
        const DangerousCall& call = written.dangerousCalls.front();
        return fail("the written file calls " + call.loader->text + "." + call.loader->text2 + ", and " + call.why);
    }

    std::vector<TensorSignature> byIndex; // each tensor hashed once, reused by the key check
    for (size_t i = 0; i < written.tensors.size(); ++i) {
        byIndex.push_back(tensorSignature(written, static_cast<int>(i)));
        releaseTensorPages(written, static_cast<int>(i));
    }
    std::vector<TensorSignature> actual = byIndex;
    std::vector<TensorSignature> wanted = expected.tensors;
    // Distinct signatures: one tensor reached under two names (tied weights) may be listed once or twice
    // depending on how the graph shares it; the per-key check below still sees every name.
    std::sort(actual.begin(), actual.end());
    std::sort(wanted.begin(), wanted.end());
    actual.erase(std::unique(actual.begin(), actual.end()), actual.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    if (actual.size() != wanted.size())
        return fail("the file holds " + std::to_string(actual.size()) + " tensors, " + std::to_string(wanted.size()) +
                    " were written");
    for (size_t i = 0; i < actual.size(); ++i)
        if (!(actual[i] == wanted[i]))
            return fail("a " + describe(wanted[i]) + " tensor reads back differently (" + describe(actual[i]) +
                        (actual[i].hash != wanted[i].hash ? ", other bytes)" : ")"));
    counts.tensors = byIndex.size();

    if (expected.hasWeightSet) {
        const WeightSet* set = nullptr;
        for (const WeightSet& candidate : written.weightSets)
            if (candidate.at == expected.weightSetAt) set = &candidate;
        if (!set && expected.weightSetAt.empty()) set = written.mainWeightSet(); // flat formats name no path
        if (!set) return fail("no state dict at `" + pathToString(expected.weightSetAt) + "` in the written file");
        if (set->entries.size() != expected.keys.size())
            return fail("the state dict has " + std::to_string(set->entries.size()) + " keys, " +
                        std::to_string(expected.keys.size()) + " were written");
        for (size_t i = 0; i < expected.keys.size(); ++i) {
            const WeightEntry& entry = set->entries[i];
            if (entry.key != expected.keys[i])
                return fail("key " + std::to_string(i) + " is `" + entry.key + "`, expected `" + expected.keys[i] +
                            "`");
            if (entry.tensor < 0 || static_cast<size_t>(entry.tensor) >= byIndex.size() ||
                !(byIndex[static_cast<size_t>(entry.tensor)] == expected.keyTensors[i]))
                return fail("`" + entry.key + "` does not read back as the " + describe(expected.keyTensors[i]) +
                            " tensor that was written");
        }
        counts.keys = expected.keys.size();
    }
    return counts;
}

} // namespace

Result<VerifyCounts> verifyExport(const std::string& path, const ExportExpectation& expected)
{
    return catchBoundary("verifying the export", [&] { return verifyUnguarded(path, expected); });
}

} // namespace ckpt
