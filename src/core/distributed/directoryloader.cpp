#include "core/distributed/directoryloader.h"

#include <filesystem>

#include "core/distributed/dcpreader.h"
#include "core/distributed/zeroreader.h"

namespace ckpt::distributed
{

namespace
{

bool endsWith(const std::string& text, const std::string& tail)
{
    return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

} // namespace

Result<std::unique_ptr<Checkpoint>> loadDirectory(const std::string& directory, const Progress& progress)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    bool dcp = false, deepspeed = false;
    size_t seen = 0;
    for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
        if (++seen > 100000) break;
        const std::string name = it->path().filename().string();
        if (name == ".metadata" || endsWith(name, ".distcp")) dcp = true;
        if (name == "latest" || endsWith(name, "_model_states.pt") || endsWith(name, "_optim_states.pt"))
            deepspeed = true;
    }
    if (ec) return makeError(Status::IoError, "cannot list the directory: " + ec.message());
    if (dcp) return loadDcpDirectory(directory, progress);
    if (deepspeed) return loadZeroDirectory(directory, progress);
    return makeError(Status::Unsupported,
                     "is a directory but neither a torch.distributed.checkpoint directory (.metadata, *.distcp) nor "
                     "a DeepSpeed checkpoint (latest, *_model_states.pt, *_optim_states.pt)");
}

} // namespace ckpt::distributed
