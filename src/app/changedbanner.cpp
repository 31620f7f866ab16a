#include "app/changedbanner.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>

namespace ckpt::app
{

ChangedBanner::ChangedBanner(QWidget* parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("changedBanner"));
    setAutoFillBackground(true);
    QPalette pal = palette();
    pal.setColor(QPalette::Window, QColor(0xf0, 0xc0, 0x40));
    pal.setColor(QPalette::WindowText, Qt::black);
    setPalette(pal);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    auto* icon = new QLabel(this);
    icon->setPixmap(style()->standardIcon(QStyle::SP_BrowserReload).pixmap(20, 20));
    m_label = new QLabel(this);
    m_label->setWordWrap(true);
    m_label->setTextFormat(Qt::RichText);
    m_label->setPalette(pal);
    m_reload = new QPushButton(tr("&Reload"), this);
    auto* dismiss = new QPushButton(tr("Dismiss"), this);
    layout->addWidget(icon);
    layout->addWidget(m_label, 1);
    layout->addWidget(m_reload);
    layout->addWidget(dismiss);
    connect(m_reload, &QPushButton::clicked, this, [this] {
        hide();
        emit reloadRequested();
    });
    connect(dismiss, &QPushButton::clicked, this, &QWidget::hide);
    hide();
}

void ChangedBanner::showFor(const QString& path, const QString& why)
{
    m_label->setText(tr("<b>%1 changed on disk</b> since it was opened (%2). The window still shows the version "
                        "you opened; statistics and exports of it will be refused. Reload to see the new one.")
                         .arg(QFileInfo(path).fileName().toHtmlEscaped(), why.toHtmlEscaped()));
    show();
}

QString ChangedBanner::text() const
{
    return m_label->text();
}

} // namespace ckpt::app
