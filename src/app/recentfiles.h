#pragma once

#include <QObject>
#include <QStringList>

class QMenu;

namespace ckpt::app
{

// The File > Open Recent list, kept in QSettings, newest first, without duplicates or missing files.
class RecentFiles : public QObject
{
    Q_OBJECT
public:
    explicit RecentFiles(QMenu* menu, QObject* parent = nullptr);

    void add(const QString& path);
    QStringList files() const;

signals:
    void openRequested(const QString& path);

private:
    void rebuild();

    QMenu* m_menu;
    static constexpr int kMax = 10;
};

} // namespace ckpt::app
