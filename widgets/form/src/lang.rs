//! The form's built-in texts in a few languages: one packed string per language, entries in
//! [`crate::schema::STRING_KEYS`] order, then the submit label, the success message and the
//! credit, separated by `|` (one `&str` per language instead of 19: no pointer and length per
//! entry in the data).
//!
//! Only [`EN`] is in the embed. The others live on the server: the runtime asks for the config
//! manifest with the mount point's language (`&lang=fr`, from its closest `lang`), and the server
//! adds that language's texts to the config's `strings` where the config sets none
//! (the server's `widgets::localize`). So a French page gets French texts in the same round trip, and visitors never
//! download the languages they do not read (the first render has no room for them).

/// Entries per pack: the configurable strings, then submit, success, credit.
pub const ENTRIES: usize = 19;
/// Index of the submit button's default label.
pub const SUBMIT: usize = 16;
/// Index of the default success message.
pub const SUCCESS: usize = 17;
/// Index of the "Made with Clickeen" credit (not configurable: a plan feature hides it).
pub const CREDIT: usize = 18;

/// English: the embed's own defaults.
pub const EN: &str = "Please correct the highlighted fields.|Sending…|Sending failed. Your entries are kept; please try again.|Your message could not be sent.|Choose…|Please fill in this field.|Please tick this box.|Please choose an option.|Please enter a valid email address.|Please enter a web address starting with http:// or https://.|Please enter a number.|Please enter a larger number.|Please enter a smaller number.|Please match the requested format.|Please use fewer characters.|Please use more characters.|Send|Thank you! Your message has been sent.|Made with Clickeen";
const ES: &str = "Corrige los campos marcados.|Enviando…|No se pudo enviar. Tus datos se conservan; inténtalo de nuevo.|No se pudo enviar tu mensaje.|Elige…|Rellena este campo.|Marca esta casilla.|Elige una opción.|Introduce una dirección de correo válida.|Introduce una dirección web que empiece por http:// o https://.|Introduce un número.|Introduce un número mayor.|Introduce un número menor.|Usa el formato solicitado.|Usa menos caracteres.|Usa más caracteres.|Enviar|¡Gracias! Tu mensaje se ha enviado.|Hecho con Clickeen";
const FR: &str = "Veuillez corriger les champs signalés.|Envoi en cours…|L’envoi a échoué. Vos saisies sont conservées ; veuillez réessayer.|Votre message n’a pas pu être envoyé.|Choisir…|Veuillez remplir ce champ.|Veuillez cocher cette case.|Veuillez choisir une option.|Veuillez saisir une adresse e-mail valide.|Veuillez saisir une adresse web commençant par http:// ou https://.|Veuillez saisir un nombre.|Veuillez saisir un nombre plus grand.|Veuillez saisir un nombre plus petit.|Veuillez respecter le format demandé.|Veuillez utiliser moins de caractères.|Veuillez utiliser plus de caractères.|Envoyer|Merci ! Votre message a bien été envoyé.|Créé avec Clickeen";
const DE: &str = "Bitte korrigieren Sie die markierten Felder.|Wird gesendet…|Senden fehlgeschlagen. Ihre Eingaben bleiben erhalten; bitte versuchen Sie es erneut.|Ihre Nachricht konnte nicht gesendet werden.|Auswählen…|Bitte füllen Sie dieses Feld aus.|Bitte kreuzen Sie dieses Kästchen an.|Bitte wählen Sie eine Option.|Bitte geben Sie eine gültige E-Mail-Adresse ein.|Bitte geben Sie eine Webadresse ein, die mit http:// oder https:// beginnt.|Bitte geben Sie eine Zahl ein.|Bitte geben Sie eine größere Zahl ein.|Bitte geben Sie eine kleinere Zahl ein.|Bitte halten Sie das geforderte Format ein.|Bitte verwenden Sie weniger Zeichen.|Bitte verwenden Sie mehr Zeichen.|Senden|Vielen Dank! Ihre Nachricht wurde gesendet.|Erstellt mit Clickeen";
const PT: &str = "Corrija os campos destacados.|Enviando…|Falha no envio. Seus dados foram mantidos; tente novamente.|Não foi possível enviar sua mensagem.|Escolha…|Preencha este campo.|Marque esta caixa.|Escolha uma opção.|Insira um endereço de e-mail válido.|Insira um endereço web que comece com http:// ou https://.|Insira um número.|Insira um número maior.|Insira um número menor.|Use o formato solicitado.|Use menos caracteres.|Use mais caracteres.|Enviar|Obrigado! Sua mensagem foi enviada.|Feito com Clickeen";
const NL: &str = "Corrigeer de gemarkeerde velden.|Bezig met verzenden…|Verzenden mislukt. Je invoer blijft bewaard; probeer het opnieuw.|Je bericht kon niet worden verzonden.|Kies…|Vul dit veld in.|Vink dit vakje aan.|Kies een optie.|Vul een geldig e-mailadres in.|Vul een webadres in dat begint met http:// of https://.|Vul een getal in.|Vul een groter getal in.|Vul een kleiner getal in.|Gebruik het gevraagde formaat.|Gebruik minder tekens.|Gebruik meer tekens.|Verzenden|Bedankt! Je bericht is verzonden.|Gemaakt met Clickeen";

/// The packs by primary language subtag.
const PACKS: [(&str, &str); 6] = [
    ("en", EN),
    ("es", ES),
    ("fr", FR),
    ("de", DE),
    ("pt", PT),
    ("nl", NL),
];

/// The pack for a BCP 47 tag (`fr`, `fr-CA`, `PT_br`): its primary subtag in any case; English
/// for any other language or none.
pub fn pack(tag: &str) -> &'static str {
    let primary = tag.as_bytes().get(..2).unwrap_or_default();
    let bounded = matches!(tag.as_bytes().get(2), None | Some(b'-' | b'_'));
    for (name, pack) in PACKS {
        if bounded && primary.eq_ignore_ascii_case(name.as_bytes()) {
            return pack;
        }
    }
    EN
}

/// Entry `index` of `pack` (empty past the end).
pub fn entry(pack: &'static str, index: usize) -> &'static str {
    pack.split('|').nth(index).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{DEFAULT_SUBMIT_LABEL, DEFAULT_SUCCESS_MESSAGE, STRING_KEYS};

    #[test]
    fn every_pack_has_every_entry() {
        assert_eq!(STRING_KEYS.len(), SUBMIT);
        for (name, pack) in PACKS {
            let entries: Vec<&str> = pack.split('|').collect();
            assert_eq!(entries.len(), ENTRIES, "{name}");
            assert!(entries.iter().all(|e| !e.trim().is_empty()), "{name}");
            assert!(entries[CREDIT].ends_with("Clickeen"), "{name}");
        }
        // The server's defaults are the English pack's.
        assert_eq!(entry(EN, SUBMIT), DEFAULT_SUBMIT_LABEL);
        assert_eq!(entry(EN, SUCCESS), DEFAULT_SUCCESS_MESSAGE);
    }

    #[test]
    fn tags_pick_their_pack() {
        for (tag, first) in [
            ("fr", "Veuillez corriger"),
            ("fr-CA", "Veuillez corriger"),
            ("FR", "Veuillez corriger"),
            ("de-DE", "Bitte korrigieren"),
            ("pt_BR", "Corrija"),
            ("nl", "Corrigeer"),
            ("es-419", "Corrige"),
            ("en-GB", "Please correct"),
            ("", "Please correct"),
            ("ja", "Please correct"),
            ("fra", "Please correct"),
            ("f", "Please correct"),
        ] {
            assert!(entry(pack(tag), 0).starts_with(first), "{tag}");
        }
        assert_eq!(entry(EN, 99), "");
    }
}
