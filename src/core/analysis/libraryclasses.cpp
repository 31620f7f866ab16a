// The exact allowlist of library classes. The list is generated from the real libraries by
// allowlist/generate_allowlist.py (the ctest allowlist_up_to_date keeps it honest) and kept sorted, so a
// lookup is a binary search over a constant table: no start-up cost, no allocation.
#include "core/analysis/libraryclasses.h"

#include <algorithm>
#include <iterator>

namespace ckpt
{

namespace
{

struct ClassName {
    std::string_view module;
    std::string_view name;
};

constexpr ClassName kLibraryClasses[] = {
#include "core/analysis/allowlist/libraryclasses.inc"
};

bool before(const ClassName& a, const ClassName& b)
{
    return a.module != b.module ? a.module < b.module : a.name < b.name;
}

} // namespace

bool isLibraryClass(std::string_view module, std::string_view name)
{
    ClassName wanted{module, name};
    auto it = std::lower_bound(std::begin(kLibraryClasses), std::end(kLibraryClasses), wanted, before);
    return it != std::end(kLibraryClasses) && it->module == module && it->name == name;
}

} // namespace ckpt
