//! Auth mail: SMTP (lettre over rustls) when `SMTP_URL` is set (required in production); otherwise
//! the message goes to the `outbox` table, shown on the development mail page `/dev/mail`, and is
//! deleted once its link expires. Bodies carry live sign-in links: they are never logged.

use crate::{
    config::Config,
    store::{Actor, Db, Ts},
};

/// Where auth mail goes.
pub(crate) enum Mailer {
    /// The `outbox` table (development and preview without SMTP).
    Outbox,
    /// Real delivery.
    #[cfg(feature = "smtp")]
    Smtp {
        transport: Box<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
        from: lettre::message::Mailbox,
    },
}

impl Mailer {
    pub(crate) fn from_config(config: &Config) -> anyhow::Result<Self> {
        match &config.smtp_url {
            None => Ok(Mailer::Outbox),
            #[cfg(feature = "smtp")]
            Some(url) => {
                let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("invalid SMTP_URL: {e}"))?
                    .build();
                let from = config
                    .mail_from
                    .parse()
                    .map_err(|e| anyhow::anyhow!("invalid MAIL_FROM: {e}"))?;
                Ok(Mailer::Smtp {
                    transport: Box::new(transport),
                    from,
                })
            }
            #[cfg(not(feature = "smtp"))]
            Some(_) => anyhow::bail!("SMTP_URL is set but this build has no `smtp` feature"),
        }
    }

    /// Sends one plain-text message whose links stop working at `expires`.
    pub(crate) async fn send(
        &self,
        db: &Db,
        to: &str,
        subject: &str,
        body: &str,
        expires: Ts,
    ) -> anyhow::Result<()> {
        let mail = Mail {
            to,
            subject,
            body,
            expires,
            unsubscribe: None,
        };
        self.send_mail(db, &mail).await
    }

    /// Sends `mail`; with an unsubscribe URL it carries `List-Unsubscribe` and
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
    pub(crate) async fn send_mail(&self, db: &Db, mail: &Mail<'_>) -> anyhow::Result<()> {
        let Mail {
            to,
            subject,
            body,
            expires,
            unsubscribe,
        } = *mail;
        match self {
            Mailer::Outbox => {
                let mut tx = db.begin(&Actor::Auth).await?;
                super::db::purge_expired(&mut tx, Ts::now()).await?;
                super::db::insert_outbox(&mut tx, to, subject, body, expires, unsubscribe).await?;
                tx.commit().await?;
                // Subject only: the body holds a live link.
                tracing::info!(
                    subject,
                    "mail kept in the development outbox (no SMTP_URL); read it on /dev/mail"
                );
                Ok(())
            }
            #[cfg(feature = "smtp")]
            Mailer::Smtp { transport, from } => {
                use lettre::AsyncTransport as _;
                let mut message = lettre::Message::builder()
                    .from(from.clone())
                    .to(to.parse().map_err(|e| anyhow::anyhow!("recipient: {e}"))?)
                    .subject(subject)
                    .header(lettre::message::header::ContentType::TEXT_PLAIN);
                if let Some(url) = unsubscribe {
                    message = message
                        .header(ListUnsubscribe(format!("<{url}>")))
                        .header(ListUnsubscribePost);
                }
                let message = message.body(body.to_owned())?;
                transport.send(message).await?;
                Ok(())
            }
        }
    }
}

/// One message.
#[derive(Clone, Copy)]
pub(crate) struct Mail<'a> {
    pub(crate) to: &'a str,
    pub(crate) subject: &'a str,
    pub(crate) body: &'a str,
    /// When its links stop working (the development outbox deletes it then).
    pub(crate) expires: Ts,
    /// A one-click unsubscribe URL (notification mail).
    pub(crate) unsubscribe: Option<&'a str>,
}

/// `List-Unsubscribe: <url>` (RFC 2369).
#[cfg(feature = "smtp")]
#[derive(Clone)]
struct ListUnsubscribe(String);

#[cfg(feature = "smtp")]
impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[cfg(feature = "smtp")]
#[derive(Clone)]
struct ListUnsubscribePost;

#[cfg(feature = "smtp")]
impl lettre::message::header::Header for ListUnsubscribePost {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}
