#include "app/architectureresolver.h"

#include "core/analysis/archresolver.h"

namespace ckpt::app
{

Result<ArchitectureSpec> resolveArchitectureSpec(const std::string& spec)
{
    // The core reads a TorchScript archive itself: LibTorch's loader would compile and run its code.
    return ckpt::resolveArchitecture(spec);
}

} // namespace ckpt::app
