"""Starter texts: the charter template and the four first training modules, in French and in English.

These are documents an admin edits in the app afterwards, in the organisation's language, not interface strings:
they live here as data per language instead of as gettext messages (a translator never has to keep a whole charter
in step with the code).
"""

from __future__ import annotations

from typing import Any

_CHARTER_FR_TITLE = "Charte des ambassadeurs sur les réseaux sociaux"
_CHARTER_FR = """\
Cette charte fixe les règles du programme d'ambassadeurs. Y participer est un choix libre : vous pouvez le quitter à \
tout moment, en un clic, sans avoir à vous justifier. Rien n'est jamais publié sans votre action sur la publication \
concernée.

## 1. Confidentialité

- Ne partagez que des contenus publics ou proposés dans la bibliothèque du programme.
- Ne publiez jamais d'informations internes : résultats non publiés, projets, clients, prix, organisation, \
incidents, ni photos de locaux ou d'écrans où elles pourraient apparaître.
- Une publication marquée « confidentielle jusqu'au… » ne peut pas être partagée avant cette date.
- En cas de doute, ne publiez pas et demandez au référent.

## 2. Respect

- Restez courtois, y compris face à la critique. Ne répondez pas à la provocation : signalez-la.
- Pas de propos discriminants, diffamatoires ou dénigrants, ni sur les concurrents, ni sur les clients, ni sur les \
collègues.
- Respectez le droit d'auteur et le droit à l'image : ne publiez une personne qu'avec son accord.

## 3. Transparence sur votre lien avec l'entreprise

- Dites clairement que vous travaillez pour l'organisation lorsque vous parlez d'elle ou de ses offres (par exemple \
« #salarié » ou une mention dans votre profil). La mention imposée par réseau est ajoutée automatiquement à vos \
partages.
- Vous parlez en votre nom : vous n'êtes pas le porte-parole officiel de l'organisation.

## 4. Un ton personnel

- Vous n'êtes pas un perroquet : personnalisez chaque partage avec votre regard, votre expérience, vos mots.
- Ne partagez que ce que vous pensez sincèrement. Rien ne vous oblige à partager une publication.
- Dosez : quelques partages choisis valent mieux qu'un fil rempli de contenus de l'entreprise.

## 5. Sécurité de vos comptes

- Utilisez un mot de passe long et unique pour chaque réseau, et activez la double authentification.
- Ne donnez jamais vos identifiants à quiconque, y compris à un collègue ou à une personne qui se présente comme \
le support.
- Si un compte est compromis, déconnectez-le dans Relais et prévenez le référent tout de suite.

## 6. Le référent et les signalements

{referent}

Signalez sans attendre une fuite, un bad buzz, une réponse agressive ou un compte piraté, avec le lien et une \
courte description, depuis la page « Signaler un problème ». L'organisation peut retirer une publication : vous \
serez alors prévenu et, si vous l'avez déjà publiée, invité à la supprimer.

## 7. Vos données

Seules les données nécessaires au programme sont conservées : vos partages, leurs clics et leurs statistiques. Vous \
pouvez les exporter ou demander leur suppression à tout moment.
"""
_REFERENT_FR = "Le référent de la charte est **{name}**. Il ou elle répond à vos questions et reçoit vos signalements."
_NO_REFERENT_FR = (
    "Le référent de la charte est la personne désignée par l'organisation dans ses réglages ; "
    "il ou elle répond à vos questions et reçoit vos signalements."
)

_CHARTER_EN_TITLE = "Social media charter for ambassadors"
_CHARTER_EN = """\
This charter sets the rules of the ambassador programme. Taking part is your free choice: you can leave at any time, \
in one click, without giving a reason. Nothing is ever posted without your own action on that post.

## 1. Confidentiality

- Only share content that is public or offered in the programme's library.
- Never post internal information: unpublished results, projects, customers, prices, organisation changes, \
incidents, nor photos of premises or screens where such information could appear.
- A post marked "confidential until…" cannot be shared before that date.
- When in doubt, don't post: ask the referent.

## 2. Respect

- Stay courteous, criticism included. Don't rise to provocation: report it.
- No discriminatory, defamatory or disparaging remarks, about competitors, customers or colleagues alike.
- Respect copyright and people's image rights: only show a person with their consent.

## 3. Disclose your relationship with the company

- Say clearly that you work for the organisation when you talk about it or its offers (for example "#employee" or a \
line in your profile). The disclosure each network requires is added to your shares automatically.
- You speak for yourself: you are not the organisation's official spokesperson.

## 4. A personal tone

- Don't parrot: make each share your own, with your view, your experience, your words.
- Only share what you genuinely believe. You never have to share a post.
- Keep a balance: a few well-chosen shares are worth more than a feed full of company content.

## 5. Security of your accounts

- Use a long, unique password for each network and turn on two-factor authentication.
- Never give your credentials to anyone, a colleague or someone claiming to be support included.
- If an account is compromised, disconnect it in Relais and tell the referent at once.

## 6. The referent and reporting problems

{referent}

Report a leak, a bad buzz, an abusive reply or a hacked account without delay, with the link and a short \
description, from the "Report a problem" page. The organisation may withdraw a post: you will then be told and, if \
you already published it, asked to delete it.

## 7. Your data

Only the data the programme needs is kept: your shares, their clicks and their metrics. You can export it or ask for \
its deletion at any time.
"""
_REFERENT_EN = "The charter's referent is **{name}**, who answers your questions and receives your reports."
_NO_REFERENT_EN = (
    "The charter's referent is the person the organisation names in its settings, "
    "who answers your questions and receives your reports."
)


def _is_french(language: str) -> bool:
    return (language or "").lower().startswith("fr")


def charter_template(*, language: str, referent: str | None) -> tuple[str, str]:
    """(title, Markdown body) of the starter charter: French for a French organisation, English otherwise."""
    if _is_french(language):
        line = _REFERENT_FR.format(name=referent) if referent else _NO_REFERENT_FR
        return _CHARTER_FR_TITLE, _CHARTER_FR.format(referent=line)
    line = _REFERENT_EN.format(name=referent) if referent else _NO_REFERENT_EN
    return _CHARTER_EN_TITLE, _CHARTER_EN.format(referent=line)


_TRAINING_FR: list[dict[str, Any]] = [
    {
        "level": "novice",
        "title": "Optimiser votre profil LinkedIn",
        "body": """\
Votre profil est la première chose que voient les personnes qui lisent vos partages.

- **Photo** : un portrait net, récent, visage bien visible, fond simple.
- **Titre** : dites ce que vous faites et pour qui, pas seulement votre intitulé de poste.
- **Infos** : trois ou quatre phrases à la première personne sur votre métier et ce qui vous motive.
- **Expérience** : indiquez votre poste actuel dans l'organisation ; c'est aussi une manière de rendre votre lien \
avec elle transparent.
- **Visibilité** : vérifiez ce que voit une personne non connectée (« Voir en tant que membre »).
""",
        "quiz": [
            {
                "question": "Que doit dire votre titre de profil ?",
                "choices": ["Seulement votre intitulé de poste", "Ce que vous faites et pour qui", "Rien"],
                "answer": 1,
            },
            {
                "question": "Indiquer votre poste actuel dans votre profil…",
                "choices": ["rend votre lien avec l'organisation transparent", "est interdit par la charte"],
                "answer": 0,
            },
        ],
    },
    {
        "level": "novice",
        "title": "Écrire avec votre regard personnel",
        "body": """\
Un partage copié mot pour mot passe inaperçu ; votre point de vue, lui, donne envie de lire.

1. **Commencez par vous** : pourquoi ce contenu vous parle-t-il ? Une phrase suffit.
2. **Ajoutez un détail vécu** : un projet, une rencontre, un chiffre qui vous a marqué.
3. **Posez une question** ou invitez à réagir.
4. **Restez bref** : deux à quatre lignes avant le lien.

Évitez le jargon interne et les superlatifs : écrivez comme vous parleriez à un ami du métier.
""",
        "quiz": [
            {
                "question": "Quel partage a le plus de chances d'être lu ?",
                "choices": ["Le texte proposé, copié tel quel", "Une phrase qui dit pourquoi il vous parle"],
                "answer": 1,
            },
            {
                "question": "Combien de lignes avant le lien ?",
                "choices": ["Deux à quatre", "Au moins quinze"],
                "answer": 0,
            },
        ],
    },
    {
        "level": "novice",
        "title": "Ce qu'il ne faut jamais partager",
        "body": """\
Certaines informations ne doivent jamais quitter l'organisation, même par allusion :

- résultats financiers non publiés, projets, rachats, lancements à venir ;
- noms de clients, contrats, prix, appels d'offres ;
- informations sur des collègues (santé, absences, conflits, salaires) ;
- photos de bureaux, d'écrans, de tableaux blancs ou de badges ;
- tout contenu marqué confidentiel, y compris après une fuite ailleurs.

En cas de doute, ne publiez pas et demandez au référent. Si vous voyez une fuite, signalez-la.
""",
        "quiz": [
            {
                "question": "Une photo de votre bureau avec un écran allumé en arrière-plan…",
                "choices": ["peut révéler des informations internes", "ne pose jamais de problème"],
                "answer": 0,
            },
            {
                "question": "Une information confidentielle déjà publiée par un média…",
                "choices": ["peut être partagée librement", "reste confidentielle pour vous"],
                "answer": 1,
            },
        ],
    },
    {
        "level": "novice",
        "title": "Sécuriser vos comptes",
        "body": """\
Un compte piraté peut publier en votre nom. Quelques gestes suffisent à l'éviter :

1. **Un mot de passe long et unique** par réseau (une phrase de passe de quatre mots ou plus), gardé dans un \
gestionnaire de mots de passe.
2. **La double authentification** : activez-la sur LinkedIn et X, de préférence avec une application \
d'authentification plutôt que par SMS.
3. **Méfiez-vous des messages urgents** qui demandent vos identifiants ou un code : aucun support ne les demande.
4. **Vérifiez les applications connectées** à vos comptes et retirez celles que vous n'utilisez plus.

Compte compromis ? Changez le mot de passe, déconnectez-le dans Relais et signalez-le au référent.
""",
        "quiz": [
            {
                "question": "Quelle double authentification est la plus sûre ?",
                "choices": ["Par SMS", "Par application d'authentification"],
                "answer": 1,
            },
            {
                "question": "Le « support » vous demande un code reçu par SMS. Vous…",
                "choices": ["le donnez", "refusez et signalez le message"],
                "answer": 1,
            },
        ],
    },
]

_TRAINING_EN: list[dict[str, Any]] = [
    {
        "level": "novice",
        "title": "Optimising your LinkedIn profile",
        "body": """\
Your profile is the first thing people see when they read your shares.

- **Photo**: a sharp, recent portrait, face clearly visible, plain background.
- **Headline**: say what you do and for whom, not just your job title.
- **About**: three or four sentences in the first person about your work and what drives you.
- **Experience**: list your current position in the organisation; it also makes your relationship with it \
transparent.
- **Visibility**: check what someone who is not signed in sees ("View as member").
""",
        "quiz": [
            {
                "question": "What should your profile headline say?",
                "choices": ["Only your job title", "What you do and for whom", "Nothing"],
                "answer": 1,
            },
            {
                "question": "Listing your current position on your profile…",
                "choices": ["makes your relationship with the organisation transparent", "is forbidden by the charter"],
                "answer": 0,
            },
        ],
    },
    {
        "level": "novice",
        "title": "Writing a personal angle",
        "body": """\
A word-for-word copy goes unnoticed; your point of view makes people want to read.

1. **Start with you**: why does this content matter to you? One sentence is enough.
2. **Add a lived detail**: a project, a meeting, a figure that struck you.
3. **Ask a question** or invite people to react.
4. **Keep it short**: two to four lines before the link.

Avoid internal jargon and superlatives: write as you would talk to a friend in your trade.
""",
        "quiz": [
            {
                "question": "Which share is most likely to be read?",
                "choices": ["The suggested text, copied as it is", "A sentence saying why it matters to you"],
                "answer": 1,
            },
            {
                "question": "How many lines before the link?",
                "choices": ["Two to four", "At least fifteen"],
                "answer": 0,
            },
        ],
    },
    {
        "level": "novice",
        "title": "What never to share",
        "body": """\
Some information must never leave the organisation, not even as a hint:

- unpublished financial results, projects, acquisitions, upcoming launches;
- customer names, contracts, prices, tenders;
- information about colleagues (health, absences, conflicts, salaries);
- photos of offices, screens, whiteboards or badges;
- anything marked confidential, even after it leaked elsewhere.

When in doubt, don't post: ask the referent. If you see a leak, report it.
""",
        "quiz": [
            {
                "question": "A photo of your desk with a screen switched on in the background…",
                "choices": ["may reveal internal information", "is never a problem"],
                "answer": 0,
            },
            {
                "question": "Confidential information a news site already published…",
                "choices": ["may be shared freely", "stays confidential for you"],
                "answer": 1,
            },
        ],
    },
    {
        "level": "novice",
        "title": "Securing your accounts",
        "body": """\
A hacked account can post in your name. A few habits prevent it:

1. **A long, unique password** for each network (a passphrase of four words or more), kept in a password manager.
2. **Two-factor authentication**: turn it on for LinkedIn and X, preferably with an authenticator app rather than \
text messages.
3. **Distrust urgent messages** asking for your credentials or a code: no support team ever asks for them.
4. **Review the apps connected** to your accounts and remove those you no longer use.

Account compromised? Change the password, disconnect it in Relais and report it to the referent.
""",
        "quiz": [
            {
                "question": "Which two-factor method is safer?",
                "choices": ["Text messages", "An authenticator app"],
                "answer": 1,
            },
            {
                "question": '"Support" asks you for a code you received by text message. You…',
                "choices": ["give it", "refuse and report the message"],
                "answer": 1,
            },
        ],
    },
]


def training_modules(*, language: str) -> list[dict[str, Any]]:
    """The four starter modules (level, title, Markdown body, quiz): French for a French organisation, else English."""
    return _TRAINING_FR if _is_french(language) else _TRAINING_EN
