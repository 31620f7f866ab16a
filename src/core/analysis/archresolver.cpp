#include "core/analysis/archresolver.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include "core/analysis/architecturecatalog.h"
#include "core/format/loader.h"

namespace ckpt
{

namespace
{

constexpr const char* kBuiltinPrefix = "builtin:";
// A key list is text a person writes or dumps; anything bigger is not one.
constexpr uint64_t kMaxJsonBytes = 256ull << 20;

std::string baseName(const std::string& path)
{
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// True when the file's first non-blank byte opens a JSON object.
bool looksLikeJson(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    char c = 0;
    while (in.get(c))
        if (!std::isspace(static_cast<unsigned char>(c))) return c == '{';
    return false;
}

Result<ArchitectureSpec> fromCheckpointFile(const std::string& path);

Result<ArchitectureSpec> fromJsonFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return makeError(Status::IoError, "cannot open the file");
    auto size = static_cast<uint64_t>(in.tellg());
    if (size > kMaxJsonBytes) return makeError(Status::LimitExceeded, "key list larger than 256 MB");
    in.seekg(0);
    std::ostringstream text;
    text << in.rdbuf();
    // A sharded checkpoint's index (`*.index.json`) is JSON too, and names a checkpoint. Found by its member
    // name, as the loader does: parsing an order-keeping JSON object is quadratic in its size.
    if (text.str().find("\"weight_map\"") != std::string::npos) return fromCheckpointFile(path);
    auto spec = architectureFromJson(text.str(), baseName(path));
    if (!spec) return spec.error();
    spec.value().source = "json";
    return spec;
}

} // namespace

ArchitectureSpec architectureFromWeightSet(const Checkpoint& checkpoint, const WeightSet& set, std::string name,
                                           std::string source)
{
    ArchitectureSpec spec;
    spec.name = std::move(name);
    spec.source = std::move(source);
    spec.entries.reserve(set.entries.size());
    for (const WeightEntry& w : set.entries) {
        ArchEntry entry;
        entry.key = w.key;
        entry.dtype = DType::Unknown;
        if (w.tensor >= 0 && static_cast<size_t>(w.tensor) < checkpoint.tensors.size()) {
            entry.shape = checkpoint.tensors[static_cast<size_t>(w.tensor)].shape;
            entry.dtype = checkpoint.tensors[static_cast<size_t>(w.tensor)].dtype;
        }
        spec.entries.push_back(std::move(entry));
    }
    return spec;
}

Result<ArchitectureSpec> resolveArchitecture(const std::string& arch)
{
    if (arch.compare(0, std::string(kBuiltinPrefix).size(), kBuiltinPrefix) == 0) {
        auto spec = catalogSpec(arch.substr(std::string(kBuiltinPrefix).size()));
        if (spec) spec.value().source = "builtin";
        return spec;
    }
    struct stat info {
    };
    if (::stat(arch.c_str(), &info) != 0)
        return makeError(Status::IoError, "no such file (an architecture is builtin:NAME, a JSON key list, "
                                          "a TorchScript archive or a checkpoint)");
    // A FIFO would block the JSON probe's open() forever; a directory or device is no architecture either.
    if (!S_ISREG(info.st_mode)) return makeError(Status::IoError, "not a regular file");
    if (looksLikeJson(arch)) return fromJsonFile(arch);
    return fromCheckpointFile(arch);
}

namespace
{

// Any loadable file; a TorchScript archive (recognised by its records, not its first bytes) gives the
// parameters and buffers the core reads from its data.pkl, as for any other file.
Result<ArchitectureSpec> fromCheckpointFile(const std::string& path)
{
    auto loaded = loadCheckpoint(path);
    if (!loaded) return loaded.error();
    const Checkpoint& checkpoint = *loaded.value();
    bool torchScript = checkpoint.format == Format::TorchScript;
    const WeightSet* set = checkpoint.mainWeightSet();
    if (!set) return makeError(Status::Unsupported, "the file holds no state dict to use as an architecture");
    return architectureFromWeightSet(checkpoint, *set, baseName(path), torchScript ? "torchscript" : "checkpoint");
}

} // namespace

} // namespace ckpt
