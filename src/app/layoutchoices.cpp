#include "app/layoutchoices.h"

#include <QComboBox>
#include <QCoreApplication>

#include "core/edit/renameplan.h"

namespace ckpt::app
{

void addLayoutChoices(QComboBox* combo)
{
    combo->addItem(QCoreApplication::translate("LayoutChoices", "Keep wrapper prefixes as the rule leaves them"),
                   int(TargetLayout::Keep));
    combo->addItem(QCoreApplication::translate("LayoutChoices", "Single device / CPU (no `module.`)"),
                   int(TargetLayout::Single));
    combo->addItem(QCoreApplication::translate("LayoutChoices", "DataParallel / DDP (one `module.`)"),
                   int(TargetLayout::DataParallel));
}

} // namespace ckpt::app
