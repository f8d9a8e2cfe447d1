"""Every customer-facing text, per language, in one place.

Translators edit this file only. Each template names its placeholders; `render` fills them
and falls back to the KB's primary language when a language has no translation yet.
"""

from __future__ import annotations

from typing import Final

from bot.core.channels import capabilities

ROBOT_LABEL: Final[dict[str, str]] = {
    "es": "Respuesta automática",
    "en": "Automatic reply",
    "pt": "Resposta automática",
}

TEMPLATES: Final[dict[str, dict[str, str]]] = {
    # Automatic KB answers. `summary` is the article's opening (may be shortened to fit the
    # channel, ending in "…"); with no room left it is empty and the text still reads well.
    "answer": {
        "es": "{handle}{summary} Más info: {title} {url}",
        "en": "{handle}{summary} More: {title} {url}",
        "pt": "{handle}{summary} Saiba mais: {title} {url}",
    },
    # The article exists only in another language: say so, and do not quote it.
    "answer_other_language": {
        "es": "{handle}Este artículo responde a tu pregunta; está en {article_language}: {title} {url}",
        "en": "{handle}This article answers your question; it is in {article_language}: {title} {url}",
        "pt": "{handle}Este artigo responde à sua pergunta; ele está em {article_language}: {title} {url}",
    },
    "case_ack": {
        "es": "{handle}Hemos abierto el caso {case_id} y un agente lo revisará. Te escribiremos por aquí.",
        "en": "{handle}We opened case {case_id} and an agent will look into it. We'll follow up here.",
        "pt": "{handle}Abrimos o caso {case_id} e um atendente vai analisar. Retornaremos por aqui.",
    },
    # On a public channel the details of a customer's own service do not belong in the thread.
    "case_ack_public": {
        "es": "{handle}Hemos abierto el caso {case_id} y un agente lo revisará. "
        "Escríbenos por mensaje privado para seguirlo sin compartir tus datos en público.",
        "en": "{handle}We opened case {case_id} and an agent will look into it. "
        "Send us a private message to follow up without sharing your details in public.",
        "pt": "{handle}Abrimos o caso {case_id} e um atendente vai analisar. "
        "Envie-nos uma mensagem privada para continuar sem expor seus dados em público.",
    },
    # A follow-up from the same customer joined their open case instead of opening a new one.
    "case_joined": {
        "es": "{handle}Seguimos con tu caso {case_id}: hemos añadido tu mensaje y el agente lo verá.",
        "en": "{handle}We're still on your case {case_id}: we added your message for the agent.",
        "pt": "{handle}Seguimos com o seu caso {case_id}: adicionamos sua mensagem para o atendente.",
    },
    # A new complaint soon after the case was solved: the same case, opened again.
    "case_reopened": {
        "es": "{handle}Hemos reabierto tu caso {case_id} y un agente volverá a revisarlo.",
        "en": "{handle}We reopened your case {case_id} and an agent will look into it again.",
        "pt": "{handle}Reabrimos o seu caso {case_id} e um atendente vai analisar novamente.",
    },
    # Sent once, on the thread the customer used, when staff or the CRM mark the case solved.
    "case_solved": {
        "es": "{handle}Tu caso {case_id} está resuelto. Si algo sigue sin funcionar, respóndenos aquí.",
        "en": "{handle}Your case {case_id} is solved. If anything still doesn't work, reply here.",
        "pt": "{handle}Seu caso {case_id} foi resolvido. Se algo ainda não funcionar, responda aqui.",
    },
    "incident_ack": {
        "es": "{handle}Sabemos que hay una incidencia que afecta a tu zona ({incident_id}) "
        "y ya trabajamos en ella. Te avisaremos cuando esté resuelta.",
        "en": "{handle}We know about an incident affecting your area ({incident_id}) and are working on it. "
        "We'll let you know when it's fixed.",
        "pt": "{handle}Sabemos de uma ocorrência na sua região ({incident_id}) "
        "e já estamos trabalhando nela. Avisaremos quando for resolvida.",
    },
    # War-room drafts: published by the official account after a person approves them.
    "crisis_holding": {
        "es": "{handle}Hola, gracias por contárnoslo y lamentamos lo ocurrido. Nuestro equipo ya lo "
        "está revisando; te escribimos por mensaje directo para ayudarte en persona.",
        "en": "{handle}Hi, thank you for telling us and we're sorry about this. Our team is already "
        "looking into it; we'll send you a direct message to help you personally.",
        "pt": "{handle}Olá, obrigado por nos avisar e lamentamos o ocorrido. Nossa equipe já está "
        "analisando; vamos te enviar uma mensagem direta para ajudar pessoalmente.",
    },
    "crisis_safety": {
        "es": "{handle}Gracias por avisarnos: tu seguridad es lo primero. Por favor, no manipules el "
        "equipo. Nuestro equipo técnico te contacta por mensaje directo ahora mismo.",
        "en": "{handle}Thank you for warning us: your safety comes first. Please don't handle the "
        "equipment. Our technical team is contacting you by direct message right now.",
        "pt": "{handle}Obrigado por avisar: sua segurança vem primeiro. Por favor, não mexa no "
        "equipamento. Nossa equipe técnica vai te contatar por mensagem direta agora.",
    },
    "crisis_kb": {
        "es": "{handle}Hola, lamentamos lo ocurrido. Aquí tienes cómo resolverlo: {title} {url} "
        "Si sigue igual, escríbenos por mensaje directo y lo vemos contigo.",
        "en": "{handle}Hi, we're sorry about this. Here is how to fix it: {title} {url} "
        "If it persists, send us a direct message and we'll sort it out with you.",
        "pt": "{handle}Olá, lamentamos o ocorrido. Veja como resolver: {title} {url} "
        "Se continuar, fale com a gente por mensagem direta e resolvemos juntos.",
    },
    # Declared outages (scheduler/outages.py): official posts, then one message to each complainer.
    "outage_notice": {
        "es": "Incidencia en curso: {title} ({region}). Ya estamos trabajando para resolverla y "
        "publicaremos novedades aquí. Disculpa las molestias.",
        "en": "Ongoing incident: {title} ({region}). We are already working on it and will post "
        "updates here. We're sorry for the trouble.",
        "pt": "Ocorrência em andamento: {title} ({region}). Já estamos trabalhando para resolver e "
        "publicaremos novidades aqui. Desculpe o transtorno.",
    },
    "outage_update": {
        "es": "Novedades sobre la incidencia {title} ({region}): seguimos trabajando para resolverla. "
        "Gracias por tu paciencia.",
        "en": "Update on the incident {title} ({region}): we are still working on it. Thank you for "
        "your patience.",
        "pt": "Novidades sobre a ocorrência {title} ({region}): continuamos trabalhando para resolver. "
        "Obrigado pela paciência.",
    },
    "outage_resolved": {
        "es": "Resuelta la incidencia {title} ({region}). Si aún tienes problemas, reinicia tu equipo "
        "y escríbenos por mensaje privado.",
        "en": "The incident {title} ({region}) is resolved. If you still have problems, restart your "
        "equipment and send us a private message.",
        "pt": "A ocorrência {title} ({region}) foi resolvida. Se ainda tiver problemas, reinicie seu "
        "equipamento e fale com a gente por mensagem privada.",
    },
    "incident_of_the_day": {
        "es": "Hoy muchos nos habéis escrito sobre {topic}. Si te pasa, reinicia el equipo y, si sigue "
        "igual, escríbenos por mensaje privado: te ayudamos en persona.",
        "en": "Many of you wrote to us today about {topic}. If it happens to you, restart your "
        "equipment and, if it persists, send us a private message: we'll help you personally.",
        "pt": "Hoje muitos de vocês nos escreveram sobre {topic}. Se acontecer com você, reinicie o "
        "equipamento e, se continuar, fale com a gente por mensagem privada: ajudamos pessoalmente.",
    },
    # Self-identification by private message (bot/engine/self_id.py). None repeats the number or
    # the address the customer wrote; `masked` is the address on file as j***@ejemplo.com.
    "self_id_code_sent": {
        "es": "Te hemos enviado un código de 6 dígitos a {masked}. Escríbelo aquí para vincular esta "
        "conversación a tu cuenta; caduca en {minutes} minutos.",
        "en": "We sent a 6-digit code to {masked}. Write it here to link this conversation to your "
        "account; it expires in {minutes} minutes.",
        "pt": "Enviamos um código de 6 dígitos para {masked}. Escreva-o aqui para vincular esta "
        "conversa à sua conta; ele expira em {minutes} minutos.",
    },
    # Unknown data: the same answer whether or not a customer exists, so nobody can probe for one.
    "self_id_unknown": {
        "es": "Si esos datos corresponden a un cliente, enviaremos un código al correo que consta en "
        "su ficha. Si no te llega, revisa los datos o pide hablar con un agente.",
        "en": "If those details belong to a customer, we will send a code to the e-mail address on "
        "file. If nothing arrives, check the details or ask to talk to an agent.",
        "pt": "Se esses dados corresponderem a um cliente, enviaremos um código para o e-mail "
        "cadastrado. Se não chegar, confira os dados ou peça para falar com um atendente.",
    },
    "self_id_no_address": {
        "es": "No tenemos un correo en tu ficha al que enviar el código. Un agente te escribirá por "
        "aquí para verificar tu identidad.",
        "en": "There is no e-mail address on file to send the code to. An agent will write to you "
        "here to confirm who you are.",
        "pt": "Não temos um e-mail cadastrado para enviar o código. Um atendente vai falar com você "
        "por aqui para confirmar sua identidade.",
    },
    "self_id_confirmed": {
        "es": "Listo: esta conversación queda vinculada a tu cuenta. Seguiremos tus casos desde aquí.",
        "en": "Done: this conversation is now linked to your account. We'll follow your cases from here.",
        "pt": "Pronto: esta conversa está vinculada à sua conta. Acompanharemos seus casos por aqui.",
    },
    "self_id_wrong": {
        "es": "Ese código no es correcto. Te quedan {left} intentos.",
        "en": "That code is not right. You have {left} attempts left.",
        "pt": "Esse código não está correto. Restam {left} tentativas.",
    },
    "self_id_locked": {
        "es": "Demasiados intentos. Por seguridad, espera {minutes} minutos antes de volver a intentarlo.",
        "en": "Too many attempts. For your security, wait {minutes} minutes before trying again.",
        "pt": "Tentativas demais. Por segurança, aguarde {minutes} minutos antes de tentar de novo.",
    },
    "self_id_expired": {
        "es": "Ese código ha caducado. Escríbenos de nuevo tu número de contrato o tu correo y te "
        "enviaremos otro.",
        "en": "That code has expired. Send us your contract number or e-mail again and we'll send "
        "you a new one.",
        "pt": "Esse código expirou. Envie de novo seu número de contrato ou e-mail e mandaremos outro.",
    },
    "self_id_rate_limited": {
        "es": "Ya te hemos enviado varios códigos hace poco. Espera un rato antes de pedir otro.",
        "en": "We have sent you several codes recently. Please wait a while before asking for another.",
        "pt": "Já enviamos vários códigos há pouco. Aguarde um pouco antes de pedir outro.",
    },
    # A contract number or e-mail written on a public channel: never repeated back.
    "self_id_write_privately": {
        "es": "{handle}Por tu seguridad, no publiques tus datos. Escríbenos por mensaje privado y "
        "te ayudamos allí.",
        "en": "{handle}For your security, please don't post your details publicly. Send us a private "
        "message and we'll help you there.",
        "pt": "{handle}Para sua segurança, não publique seus dados. Envie uma mensagem privada e "
        "ajudamos por lá.",
    },
    "self_id_agent": {
        "es": "Un agente revisará tu solicitud y te escribirá por aquí.",
        "en": "An agent will look at your request and write to you here.",
        "pt": "Um atendente vai analisar sua solicitação e falar com você por aqui.",
    },
    "self_id_mail_subject": {
        "es": "Tu código de verificación",
        "en": "Your verification code",
        "pt": "Seu código de verificação",
    },
    "self_id_mail": {
        "es": "Tu código de verificación es {code}. Escríbelo en la conversación en la que nos lo "
        "pediste; caduca en {minutes} minutos. Si no lo has pedido tú, ignora este correo.",
        "en": "Your verification code is {code}. Write it in the conversation where you asked for "
        "it; it expires in {minutes} minutes. If you did not ask for it, ignore this mail.",
        "pt": "Seu código de verificação é {code}. Escreva-o na conversa em que o pediu; ele expira "
        "em {minutes} minutos. Se não foi você quem pediu, ignore este e-mail.",
    },
    "outage_told": {
        "es": "{handle}La incidencia que nos comentaste ({title}) ya está resuelta. Si sigue sin "
        "funcionar, reinicia tu equipo y escríbenos.",
        "en": "{handle}The incident you told us about ({title}) is now resolved. If it still doesn't "
        "work, restart your equipment and write to us.",
        "pt": "{handle}A ocorrência que você nos contou ({title}) já foi resolvida. Se continuar sem "
        "funcionar, reinicie seu equipamento e fale com a gente.",
    },
}

LANGUAGE_NAMES: Final[dict[str, dict[str, str]]] = {
    "es": {"es": "español", "en": "inglés", "pt": "portugués"},
    "en": {"es": "Spanish", "en": "English", "pt": "Portuguese"},
    "pt": {"es": "espanhol", "en": "inglês", "pt": "português"},
}

FALLBACK_LANGUAGE: Final = "en"


def render(name: str, lang: str, *, automatic: bool = True, **values: str) -> str:
    """The template `name` in `lang` (or the fallback), prefixed with the robot label if automatic."""
    texts = TEMPLATES[name]
    language = lang if lang in texts else FALLBACK_LANGUAGE
    body = texts[language].format(**values)
    if not automatic:
        return body
    label = ROBOT_LABEL.get(language, ROBOT_LABEL[FALLBACK_LANGUAGE])
    return f"[{label}] {body}"


def language_name(code: str, in_language: str) -> str:
    return LANGUAGE_NAMES.get(in_language, LANGUAGE_NAMES[FALLBACK_LANGUAGE]).get(code, code)


def mention(handle: str, channel: str) -> str:
    """Public replies address the author; e-mail, WhatsApp and webhooks need no @handle."""
    return capabilities(channel).mention_prefix(handle)
