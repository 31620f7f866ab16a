#include "app/architectureresolver.h"

#include "core/analysis/archresolver.h"
#ifdef CKPT_HAVE_TENSOR_LOADER
#include "tensor/tensorloader.h"
#endif

namespace ckpt::app
{

Result<ArchitectureSpec> resolveArchitectureSpec(const std::string& spec)
{
    TorchScriptImporter importer;
#ifdef CKPT_HAVE_TENSOR_LOADER
    // Only when the module loads: otherwise the engine reads the archive's tensors itself.
    if (tensor::tensorModuleAvailable(nullptr))
        importer = [](const std::string& path) { return tensor::importTorchScriptArchitecture(path); };
#endif
    return ckpt::resolveArchitecture(spec, importer);
}

} // namespace ckpt::app
