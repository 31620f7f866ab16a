#include "app/replacequestion.h"

#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>

namespace ckpt::app
{

bool confirmReplace(QWidget* parent, const QString& path)
{
    const QFileInfo info(path);
    if (!info.exists()) return true;
    QMessageBox box(QMessageBox::Warning, QObject::tr("Replace file?"),
                    QObject::tr("<b>%1</b> already exists in %2.<br>Replace it? Its current contents will be lost.")
                        .arg(info.fileName().toHtmlEscaped(), info.absolutePath().toHtmlEscaped()),
                    QMessageBox::NoButton, parent);
    box.setObjectName(QStringLiteral("replaceQuestion"));
    QPushButton* replace = box.addButton(QObject::tr("&Replace"), QMessageBox::DestructiveRole);
    QPushButton* cancel = box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(cancel);
    box.exec();
    return box.clickedButton() == replace;
}

} // namespace ckpt::app
