#pragma once

#include <QString>

class QWidget;

namespace ckpt::app
{

// Asks "Replace NAME?" before an existing file is overwritten (export, repair). Returns true when the file does
// not exist or the user chose Replace; the default answer is Cancel.
bool confirmReplace(QWidget* parent, const QString& path);

} // namespace ckpt::app
