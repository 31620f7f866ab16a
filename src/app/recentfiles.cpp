#include "app/recentfiles.h"

#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace ckpt::app
{

RecentFiles::RecentFiles(QMenu* menu, QObject* parent) : QObject(parent), m_menu(menu)
{
    rebuild();
}

QStringList RecentFiles::files() const
{
    return QSettings().value(QStringLiteral("recentFiles")).toStringList();
}

void RecentFiles::add(const QString& path)
{
    if (path.startsWith(QLatin1Char(':'))) return; // the embedded sample is not a file the user opened
    const QString abs = QFileInfo(path).absoluteFilePath();
    QStringList list = files();
    list.removeAll(abs);
    list.prepend(abs);
    while (list.size() > kMax)
        list.removeLast();
    QSettings().setValue(QStringLiteral("recentFiles"), list);
    rebuild();
}

void RecentFiles::rebuild()
{
    m_menu->clear();
    int n = 0;
    for (const QString& path : files()) {
        if (!QFileInfo::exists(path)) continue;
        ++n;
        const QString label =
            n < 10 ? QStringLiteral("&%1 %2").arg(n).arg(QFileInfo(path).fileName()) : QFileInfo(path).fileName();
        QAction* a = m_menu->addAction(label);
        a->setToolTip(QDir::toNativeSeparators(path));
        a->setStatusTip(QDir::toNativeSeparators(path));
        connect(a, &QAction::triggered, this, [this, path] { emit openRequested(path); });
    }
    if (n == 0)
        m_menu->addAction(tr("(no recent files)"))->setEnabled(false);
    else {
        m_menu->addSeparator();
        connect(m_menu->addAction(tr("&Clear list")), &QAction::triggered, this, [this] {
            QSettings().remove(QStringLiteral("recentFiles"));
            rebuild();
        });
    }
}

} // namespace ckpt::app
