#include "app/messagestrip.h"

#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>

namespace ckpt::app
{

MessageStrip::MessageStrip(const QString& objectName, QWidget* parent) : QFrame(parent)
{
    setObjectName(objectName);
    setAutoFillBackground(true);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    m_icon = new QLabel(this);
    m_label = new QLabel(this);
    m_label->setWordWrap(true);
    m_label->setTextFormat(Qt::RichText);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_label->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    layout->addWidget(m_icon);
    layout->addWidget(m_label, 1);
    hide();
}

QString MessageStrip::text() const
{
    return m_label->text();
}

void MessageStrip::showMessage(const QString& html, const QColor& background, const QColor& foreground,
                               const QIcon& icon)
{
    m_label->setText(html);
    QPalette pal = palette();
    pal.setColor(QPalette::Window, background);
    pal.setColor(QPalette::WindowText, foreground);
    setPalette(pal);
    m_label->setPalette(pal);
    m_icon->setPixmap(icon.pixmap(24, 24));
    show();
}

void MessageStrip::hideMessage()
{
    m_label->clear();
    hide();
}

} // namespace ckpt::app
