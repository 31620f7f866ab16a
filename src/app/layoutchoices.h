#pragma once

class QComboBox;

namespace ckpt::app
{

// The target layouts (keep, single device, DataParallel) as the repair preview and the export dialog both
// offer them: one wording in both places, the TargetLayout as each item's data.
void addLayoutChoices(QComboBox* combo);

} // namespace ckpt::app
