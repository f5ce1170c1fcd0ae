//! Auth mail: SMTP (lettre over rustls) when `SMTP_URL` is set; otherwise the message is logged and
//! written to the `outbox` table so magic links work offline in development.

use crate::{
    config::Config,
    store::{Actor, Db},
};

/// Where auth mail goes.
pub(crate) enum Mailer {
    /// Log + `outbox` table (development default).
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

    /// Sends one plain-text message.
    pub(crate) async fn send(
        &self,
        db: &Db,
        to: &str,
        subject: &str,
        body: &str,
    ) -> anyhow::Result<()> {
        match self {
            Mailer::Outbox => {
                tracing::info!(
                    to,
                    subject,
                    body,
                    "mail (no SMTP configured; written to outbox)"
                );
                let mut tx = db.begin(&Actor::Auth).await?;
                super::db::insert_outbox(&mut tx, to, subject, body).await?;
                tx.commit().await?;
                Ok(())
            }
            #[cfg(feature = "smtp")]
            Mailer::Smtp { transport, from } => {
                use lettre::AsyncTransport as _;
                let message = lettre::Message::builder()
                    .from(from.clone())
                    .to(to.parse().map_err(|e| anyhow::anyhow!("recipient: {e}"))?)
                    .subject(subject)
                    .header(lettre::message::header::ContentType::TEXT_PLAIN)
                    .body(body.to_owned())?;
                transport.send(message).await?;
                Ok(())
            }
        }
    }
}
