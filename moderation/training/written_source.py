"""Examples the project wrote itself, for the categories the public sets miss (S, S3, V2) or cover
thinly (V, SH, H2, HR), and hard negatives. Each hand-written core sentence is a family; variants
(slang, misspelling, casing, emoji, surrounding chatter, longer paragraphs) stay in its family's
split. Run to regenerate written.jsonl:  python moderation/training/written_source.py
"""

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATEGORIES = ["S", "H", "V", "HR", "SH", "S3", "H2", "V2"]

GROUPS = [
    "immigrants", "muslims", "jews", "black people", "gay people", "trans people", "women", "mexicans",
    "asians", "refugees", "disabled people", "gypsies", "indians", "arabs", "christians", "lesbians",
]  # fmt: skip

# Every family: (labels, core text). {g} is filled with a protected group.
S = [
    "she rode him slow until they both came, moaning the whole time",
    "dm me for my nudes, $10 for a full set, no face pics",
    "selling my used panties and custom dirty videos, link in bio",
    "I want to bend you over this desk and fuck you until you scream",
    "horny and bored, who wants to sext tonight",
    "escort available tonight, outcall only, incall rates in my profile",
    "his hand slid under her skirt and she spread her legs for him",
    "my onlyfans has the uncensored version of this video, come watch me play with myself",
    "wet and waiting for you daddy",
    "we had a threesome last weekend and I still think about her tongue",
    "send me a pic of your dick and I'll rate it",
    "she sucked him off in the car park behind the club",
    "looking for a fuck buddy, no strings, discreet, hit me up",
    "the way she moans when I go down on her is unreal",
    "cam girl here, tip 50 tokens and I take it all off",
    "I came so hard thinking about you last night",
    "naughty milfs in your area want to hook up, click here",
    "he tied her wrists to the bed and teased her nipples with ice",
    "her tits bouncing in that video got me hard instantly",
    "sugar daddy wanted, I'll send spicy pics for gifts",
    "I want to taste you all over and make you beg",
    "fingering herself on live stream, full video on my telegram",
    "nothing hotter than sex in the shower, water running down her back as I take her from behind",
    "cum on my face, that's my kink",
    "happy ending massage, discreet, cash only, message me",
    "she took off her bra and climbed on top of me, grinding until I couldn't hold it",
    "rate my ass 1 to 10, spicier pics for subscribers",
    "I'm so horny I'd let anyone in this comment section fuck me",
    "he pulled her hair and fucked her hard against the wall",
    "watch me strip and touch myself, only 5 dollars",
    "want to see what's under this towel? premium snap in bio",
    "the erotic story continues: she slowly unzipped his jeans and took him in her mouth",
    "69 with my girlfriend is the best part of my week",
    "dick pic collection for sale, all sizes, dm",
    "she was on her knees begging for it",
    "nude dancing, lap dances and more, private room bookings open",
    "let's get naked on video call, I'll show you everything",
    "I love it when she rides my face",
    "her pussy was dripping by the time he got her panties off",
    "anal tonight? I'll bring the lube",
    "leaked sex tape of that influencer, full clip here",
    "touch yourself for me while you read this",
    "fucking my neighbour's wife while he's at work lol",
    "gonna fill you up so deep you'll feel it tomorrow",
    "xxx hardcore gangbang videos free, no signup",
    "his cock was so big she could barely take it",
    "who wants to join me in bed, I'm naked already",
    "kinky roleplay, bdsm, domination sessions, paid only",
    "she moaned my name as I pushed inside her",
    "sexy singles want to meet you tonight, no credit card needed",
]

S3 = [
    "any girls under 16 wanna trade pics? dm me",
    "how old are you? 13? cool, send me a pic of you in your underwear",
    "looking for young teen content, will pay, telegram only",
    "hey sweetie you look mature for 12, don't tell your parents we're talking",
    "middle school girls are so hot",
    "trading cp links, message me for the folder",
    "kid in this video is sexy, how old is she",
    "I want to touch little boys",
    "14 year old looking for an older boyfriend to sext with, add me",
    "send nudes if you're in 8th grade, I'll send money",
    "she's only 15 but I'd still smash",
    "jailbait compilation in my bio",
    "be my secret girlfriend, you're 13 but age is just a number",
    "looking for pictures of children in bathing suits for my private collection",
    "pedo here, anyone else into young kids",
    "schoolgirl under 18 selling nudes, real not roleplay",
    "your daughter is hot, how old is she, 11?",
    "loli hentai with actual kids is the best, fight me",
    "meet me after school, I'll buy you stuff if you send me pics of your body",
    "12yo tiktok girls dancing is my favourite thing to jerk to",
    "who has the leaked pics of that 14 year old from the gym video",
    "kids should learn about sex from adults who show them, dm me parents",
    "preteen models, uncensored, private server invite",
    "undress for me on cam, you're 15 right, that's fine",
    "I groom girls on here and nobody notices",
    "teen boy nudes wanted, under 17 only",
    "she's in year 7 and already has a body, wow",
    "minor sexting group, join fast before ban",
    "baby sitters know what little kids like in bed, ha",
    "real underage girls, not acting, link below",
    "you're 13? perfect age for me. add my snap",
    "little girls in diapers make me horny",
    "sexy pics of 16 year olds from my school, dm",
    "I'd love to teach your son how to please a man",
    "looking for minors to roleplay sex with",
    "who's got videos of young kids undressing, will swap",
    "underage but flirty, send me your pic bby",
    "child porn is just art, share it",
    "her first period means she's ready, right",
    "the girl in this video is 10 and I can't stop thinking about her body",
    "any boys 13-15 want to video chat naked, I pay",
    "kids this age are the best to seduce, they trust you",
    "add me if you're under 16 and like older men",
    "selling folders of young girls, preteen, no adults",
    "hey little one, send a pic without your shirt",
    "you look 14 in this, which makes it hotter",
    "teach me how to get alone with my neighbour's kid",
    "underage onlyfans leaks, real schoolgirls",
    "how to talk to a 12 year old so she sends pics",
]

V = [
    "I'm going to shoot up the school tomorrow, stay home",
    "someone should bomb that concert and finish all of them",
    "beat him until he stops moving, he deserves it",
    "love watching fights where the guy gets knocked out cold and keeps getting stomped",
    "I will burn your house down with your family inside",
    "they should line the protesters up and shoot them",
    "if I see that ref again I'm stabbing him",
    "that cat got kicked across the room and it was hilarious, do it again",
    "go punch a random stranger, it's a fun challenge",
    "I hope the plane crashes and they all die screaming",
    "the shooter was a hero, more people should follow his lead",
    "let's jump him after school and break his legs",
    "dropping a molotov on the police station tonight, who's in",
    "I'd torture him slowly for what he said",
    "watching that guy get hit by the car made my day",
    "we should kill every cop in the city",
    "bring knives to the match on saturday, we're going to cut them",
    "I'll strangle my ex when I see her",
    "drag him out of his car and beat him senseless",
    "the world would be better if someone assassinated the president",
    "kick the dog until it shuts up, works every time",
    "make them suffer, break every bone in their hands",
    "a massacre at that mall would teach them a lesson",
    "throwing acid in her face is what she deserves",
    "gonna pull up with the strap and light the whole block up",
    "beat your kids, it's the only way they learn",
    "I'm going to hunt down the guy who cut me off and run him over",
    "can't wait to see more riots and cops getting their heads smashed",
    "blow up the mosque, church, synagogue, whatever, just blow it up",
    "hang the judge from a lamp post",
    "if my neighbour's dog barks again I'm poisoning it",
    "I want to see him bleed for this",
    "lock her in the basement and let her starve",
    "tonight we hit the rival gang, shoot anyone wearing red",
    "the video of that guy getting beaten to death is my favourite, so satisfying",
    "slap the teacher and film it, trend challenge",
    "smash his skull in with a bat",
    "hope somebody stabs the streamer live on air",
    "we need another war so we can kill them all",
    "i will find the people who did this and put bullets in them",
    "I will find you and kill you, watch your back",
    "you're dead when I see you, I swear I'll stab you",
    "I'm going to beat you so bad your mother won't recognise you",
    "say that again and I'll break your jaw",
    "I'll shoot you in the face if you come near my house",
    "keep talking and you'll end up in a body bag",
    "I'm coming to your school tomorrow with a gun",
    "your family is going to pay for this in blood",
    "one day someone is going to put you in the ground and I'll be laughing",
    "I hope you get hit by a truck and die slowly",
]

V2 = [
    "his skull cracked open and brains spilled across the pavement",
    "the body was split in half, guts hanging out, blood pooling everywhere",
    "they cut off his head slowly with a knife while he screamed, full video",
    "her face was torn off in the crash, you could see the bone and teeth",
    "gore compilation: people crushed by trains, limbs everywhere",
    "he stabbed him forty times, blood spraying on the walls, intestines on the floor",
    "the dog was skinned alive and left twitching in its own blood",
    "close-up of the bullet wound, flesh blown out the back of his head",
    "his eyes were gouged out and the sockets were full of maggots",
    "the victim's fingers were chopped off one by one",
    "watch the cartel video, they chainsaw him while he's still alive",
    "the corpse was bloated and rotting, skin sliding off the bones",
    "blood gushing from the stump where his arm used to be",
    "she fell from the 20th floor and her body burst open on impact",
    "the car accident left him decapitated, his head rolled into the ditch",
    "the burn victim's skin was melted and black, peeling off in sheets",
    "he got run over by the tractor and his legs were mangled into pulp",
    "they hung the bodies from the bridge with their entrails cut out",
    "his jaw was ripped off by the shotgun blast",
    "the shark tore the surfer's leg off and the water turned red",
    "in the video you can see the bone sticking out of his thigh and blood spurting",
    "they disemboweled the prisoner and made the others watch",
    "brain matter all over the windshield after the crash",
    "the child's body was found charred and dismembered",
    "ear cut off, nose cut off, then they gutted him",
    "compound fracture so bad the foot was hanging by skin",
    "his throat was slit and he gurgled blood for a minute before dying",
    "the executioner's axe took three swings to get through the neck",
    "rats were eating the dead soldier's face",
    "her stomach was sliced open and the baby pulled out, horrific video",
    "he shot himself in the head on stream and the camera caught the blood splatter",
    "the victim was boiled alive, skin blistering and peeling",
    "piles of bodies with their eyes gouged and tongues cut out",
    "chainsaw accident, arm cut to the bone, tendons hanging",
    "a head split like a watermelon under the truck wheel",
    "she stepped on the mine and her legs were just shredded meat",
    "blood and pieces of skull on the ceiling after the shotgun suicide",
    "torture video: nails pulled out, fingers crushed with pliers",
    "the goat was beheaded in the video and the body kept kicking",
    "crushed under the press, his body flattened and bursting",
]

H = [
    "{g} are subhuman parasites",
    "I hate {g}, every single one of them",
    "{g} ruin every country they move to",
    "never hire {g}, they're lazy and stupid",
    "{g} are a disease on this planet",
    "this is why {g} shouldn't be allowed to vote",
    "{g} are all criminals and rapists",
    "typical {g}, always begging for handouts",
    "{g} don't deserve rights",
    "{g} are genetically inferior, science proves it",
    "keep {g} out of our neighbourhoods",
    "{g} are filthy animals",
    "the problem with this country is {g}",
    "{g} should go back where they came from",
    "I wouldn't let my kids near {g}",
    "{g} are mentally ill freaks",
    "{g} breed like rats",
    "{g} control the banks and the media",
    "ban {g} from this app, nobody wants them",
    "{g} are too dumb to understand anything",
    "{g} are the reason crime is up",
    "{g} smell and they don't wash",
    "you can't trust {g}, it's in their blood",
    "{g} are cockroaches",
    "what do you expect from {g}, they're savages",
    "imagine being one of the {g}, disgusting",
    "{g} are worthless and always will be",
    "our race is being replaced by {g}",
    "{g} are a plague",
    "the only good thing about {g} is that there are fewer of them every year",
    "women belong in the kitchen not in politics",
    "gays are an abomination and a sickness",
    "trannies are just perverts in dresses",
    "muzzies are all terrorists",
    "retards shouldn't be allowed in public",
    "go back to your country you dirty immigrant",
    "no {g} allowed in my shop",
    "{g} are an inferior race",
    "{g} are ruining this platform",
    "being one of the {g} should be illegal",
]

H2 = [
    "kill all {g}",
    "{g} should be lined up and shot",
    "gas the {g}",
    "we need to exterminate {g} before they take over",
    "burn down every {g} home in this town",
    "hang {g} from trees like the old days",
    "{g} deserve to be beaten in the streets",
    "round up the {g} and put them in camps",
    "I'd happily shoot any {g} I see",
    "time for a final solution to the {g} problem",
    "someone should bomb the {g} neighbourhood",
    "drown the {g} boats before they land",
    "if {g} come here we will kill them",
    "start a purge, the {g} first",
    "every {g} deserves a bullet",
    "the streets will run with {g} blood",
    "lynch the {g}",
    "{g} need to be wiped off the face of the earth",
    "arm yourselves, the war against {g} is coming",
    "run over any {g} you see at the protest",
    "set fire to the {g} church with them inside",
    "{g} should be castrated so they can't breed",
    "it's open season on {g}",
    "we will hunt {g} down one by one",
    "torture every {g} until they leave",
    "beat up {g} whenever you get the chance",
    "a genocide of {g} is overdue",
    "kill the {g} children too so they don't grow up",
    "stab the next {g} who talks to you",
    "{g} need to be put down like dogs",
    "poison the {g} water supply",
    "the only good {g} is a dead one",
    "shoot {g} on sight",
    "we should drop a nuke on the {g}",
    "bash the {g} until they stop coming",
    "{g} will hang when we take power",
    "let's go hunting {g} tonight",
    "{g} should be burned alive",
    "i'll kill every {g} in my school",
    "exterminate the {g} vermin",
]

HR = [
    "you're so ugly your parents must regret having you",
    "nobody likes you, delete your account",
    "kill yourself you worthless loser",
    "kys nobody will miss you",
    "I know where you live and I'm coming for you",
    "everyone go spam this girl's dms, she deserves it",
    "you're a fat disgusting pig, stop posting",
    "here's her home address and phone number, you know what to do",
    "shut up you dumb bitch",
    "you're a pathetic waste of oxygen",
    "I'm going to make your life hell at school tomorrow",
    "lol look at this retard trying to dance",
    "go cry to your mommy you little crybaby",
    "I'll keep making new accounts until you quit the app",
    "your voice is so annoying I want to punch you",
    "you're the reason your dad left",
    "ugly bitch, no wonder nobody dates you",
    "everyone report her account and spam her comments",
    "I screenshotted your nudes and I'm sending them to your boss",
    "you look like a thumb with a wig",
    "i'll beat the shit out of you when I find you",
    "stupid cunt, go die",
    "you're a fucking idiot and your content is trash",
    "imagine being this fat and still posting videos",
    "this loser's school is on his shirt, let's pay him a visit",
    "drink bleach",
    "you should hang yourself",
    "you're a whore and everyone at school knows it",
    "your mom should have aborted you",
    "stop breathing, it's annoying",
    "we found your ex's number, let's flood it",
    "nobody would care if you disappeared tomorrow",
    "you talk like a brain damaged monkey",
    "fuck you and your ugly face",
    "go back to your cave you hideous troll",
    "if you post again I'll leak your pics",
    "you're a joke, everyone laughs at you behind your back",
    "you dumb fuck, learn to read",
    "hey fatty, put down the fork",
    "loser loser loser loser",
    "everyone in this class hates you, just so you know",
    "you're so dumb it's actually embarrassing to watch",
    "I'm sending this video to your whole school so they can laugh at you",
    "keep crying, nobody is coming to save you",
    "your content is garbage and so are you",
    "I made a group chat just to talk about how ugly you are",
    "you're a creep, stay away from girls, everyone block him",
    "we're all going to keep reporting you until you're banned forever",
    "imagine being so ugly that even your filter gave up",
]

SH = [
    "I'm going to kill myself tonight, I've already written the note",
    "cutting is the only thing that makes me feel better",
    "I want to die, there's no point anymore",
    "tips for hiding cuts from your parents?",
    "haven't eaten in four days, proud of myself, goal weight is 85 pounds",
    "just took a whole bottle of pills, goodbye everyone",
    "suicide is the only way out and you should do it too",
    "thinspo: if you're hungry, drink water and remember how fat you are",
    "I burn myself with a lighter when I'm stressed",
    "nobody would notice if I jumped off the bridge",
    "I'm done, tonight's the night I end it",
    "purging after every meal, it's working",
    "the razor is the only friend I have",
    "I hope I don't wake up tomorrow",
    "cut deeper, it's worth it",
    "I keep thinking about hanging myself in the garage",
    "pro ana challenge: 300 calories a day for a month",
    "self harm feels good, don't let anyone tell you otherwise",
    "life isn't worth living, I'm going to end it this week",
    "I scratch my arms until they bleed every night",
    "I stopped eating so I can finally be thin, bones are beautiful",
    "if you're sad just end it, that's what I'm doing",
    "my wrists are covered in fresh cuts again",
    "tell me the most painless way to die",
    "I'm standing on the roof right now",
    "I deserve to starve",
    "relapsed tonight, cut again, I don't care anymore",
    "goodbye, I love you all, this is my last post",
    "skipping meals and running until I faint, that's my routine",
    "I wish I had the guts to kill myself",
    "I punch walls until my knuckles break, pain is the only thing I feel",
    "count down with me, 3 days until I'm gone",
    "overdosing tonight, nobody try to stop me",
    "being skinny is worth dying for",
    "I hide my blades in my pencil case",
    "suicide pact anyone? let's do it together",
    "i want to disappear forever and never wake up",
    "ate today so I have to punish myself",
    "the voices say I should jump and I think they're right",
    "I'm a burden to everyone, better if I'm dead",
]

OK = [
    "this dance is so good, I've watched it ten times",
    "I'm dying laughing at the cat falling off the couch",
    "you absolutely killed it on stage tonight",
    "police say three people were injured in the shooting downtown; a suspect is in custody",
    "the documentary about the Rwandan genocide is hard to watch but important",
    "sex education should teach consent and contraception in every school",
    "talk to your doctor about safe sex and regular STI testing",
    "we got destroyed in the finals, the other team was just better",
    "headshot from across the map, this game is insane",
    "I'm going to murder this pizza",
    "this song slaps, the beat goes hard",
    "if you're struggling, please reach out, the crisis line is open 24/7 and you are not alone",
    "I survived self-harm and I'm three years clean, recovery is possible",
    "the film shows war violence realistically without glorifying it",
    "beat the eggs and sugar until fluffy, then fold in the flour",
    "my 12 year old daughter loves your videos, thanks for keeping it family friendly",
    "puberty talk for kids: what changes and why it's normal",
    "racism is disgusting and we need to call it out",
    "the history lesson covered the Holocaust and how propaganda dehumanised jews",
    "who else is hyped for the new zombie season",
    "I could kill for a coffee right now",
    "this workout is killing me but I love it",
    "the boxer knocked him out in the third round, great fight",
    "my grandma passed away peacefully last night, thank you for the kind words",
    "I'm so proud of my gay brother for coming out",
    "immigrants built this city and I'm proud of my neighbours",
    "breast cancer awareness month, remember to check yourself",
    "that horror movie had so much fake blood lol",
    "I lowkey want to die of embarrassment after that presentation",
    "bro this lag is killing me",
    "the hunter explained how to field dress a deer safely",
    "the nurse showed how to dress a wound and stop bleeding",
    "love the outfit, where's the skirt from",
    "romantic dinner with my husband for our anniversary",
    "my therapist helped me so much with my eating disorder recovery",
    "the news report on the war crimes trial was detailed and sobering",
    "you're a beast at this game",
    "these lyrics hit different: 'I'm on fire, burning down the house'",
    "i shot my shot and she said yes to a date",
    "the surgeon explained the knee operation step by step",
    "great tutorial, thanks for explaining it so clearly",
    "the muslim community centre is hosting a food drive saturday",
    "trans rights are human rights",
    "haha you're such an idiot, love you bestie",
    "the battle scene in the movie was epic",
    "my kid's school play was adorable",
    "what a bomb performance",
    "his new album is fire",
    "cops arrested the man accused of assaulting a bus driver",
    "the article explains how groomers target kids online and what parents can do",
    "reported this account for spam, please everyone be safe",
    "just finished a 10k run, legs are dead",
    "how do I get better at aiming in valorant",
    "the author's novel deals with suicide in a sensitive way",
    "condoms are free at the student health centre",
    "watching my baby take her first steps",
    "this recipe is to die for",
    "the lyrics 'bang bang, my baby shot me down' are so iconic",
    "the museum exhibit on slavery was powerful",
    "can't believe how fast you solved that cube",
    "this phone is a worthless piece of junk, battery died again",
    "my boss is going to kill me if I'm late again lol",
    "the final boss killed me twenty times before I beat it",
    "I'm so tired I could sleep for a week",
    "you're going to kill it at the audition, good luck!",
    "that referee was trash today, worst call of the season",
    "this heat is literally killing me",
    "the news said the attacker threatened the shop owner with a knife before fleeing",
    "calm down, it's just a game, nobody is going to hurt you",
    "my therapist says it's ok to feel worthless sometimes, it passes",
    "Police said the victim was found with stab wounds and was pronounced dead at the scene",
    "Two people died and five were injured when a car hit a crowd downtown, officials said",
    "the true crime podcast covers the murder case and the trial that followed",
    "obituary: he passed away after a long illness, surrounded by his family",
    "the war memorial lists the names of soldiers killed in both world wars",
    "first aid: apply pressure to the wound and call an ambulance if the bleeding does not stop",
    "the surgeon removed the tumour and the patient is recovering well",
    "a coroner's report found the cause of death was a head injury from the fall",
    "the documentary shows the aftermath of the earthquake and the rescue teams",
    "historians estimate millions died in the famine and the fighting that followed",
    "the hospital confirmed the injured cyclist is in stable condition",
    "the court heard the defendant attacked the man with a hammer; he denies the charge",
    "my grandad told me stories about the battle and the friends he lost",
    "the vet had to put our old dog down, we're heartbroken",
    "the journalist reported from the front line where shelling killed three civilians",
]

# Added later, and iterated after everything above so the earlier families keep their variants:
# threats aimed at the reader that say little outright (the first model published several),
# and everyday speech that uses violent words harmlessly (the first model held some).
V_MORE = [
    "I know where you live and I'm coming for you tonight",
    "you're dead meat when I catch you",
    "I'm going to beat you until you can't walk",
    "watch your back, I'll hurt your family",
    "sleep with one eye open, I'm coming for you",
    "I'll make sure you never post again, I know your address",
    "meet me outside and I'll put you in the hospital",
    "one more word and I'll slit your throat",
    "you won't see it coming, I'm going to end you",
    "I'll be waiting outside your work with a bat",
    "enjoy your last week alive",
    "I will kill you",
    "I'm going to find out where you live and make you bleed",
    "I swear I'll run you over next time I see you",
    "your kids walk home alone, don't they? be a shame if something happened to them",
    "I'm going to break every bone in your body",
    "start running, because when I find you you're done",
    "I'll choke you until you stop breathing",
    "we know your address, we're coming for you and your wife",
    "delete this or I'll come to your house and hurt you",
    "I'll smash your face in when I see you at school",
    "you'll be six feet under by friday",
]
OK_MORE = [
    "this recipe killed it, amazing",
    "I'm dead, this is the funniest thing I've seen all week",
    "you slayed this look, absolutely killing it",
    "shoot me a message if you want the pattern",
    "I could kill for a coffee right now",
    "this workout is murdering my legs but I love it",
    "the bass on this track hits so hard",
    "he knocked it out of the park with this edit",
    "she destroyed that song, what a voice",
    "the ending of this episode killed me, I cried so much",
    "I'm coming for your high score tonight, watch out",
    "I'll find you in the game lobby and we can team up",
    "break a leg at your show tonight!",
    "that plot twist was a knife to the heart",
    "my cat attacks my feet every morning, so cute",
    "the final boss fight was brutal, took me 40 tries",
    "this comedian absolutely murdered the crowd",
    "see you at the gym tomorrow, leg day is going to kill us",
    "I'm going to beat your record next week, just wait",
    "you're going to crush your exam, good luck",
]

OPENERS = ["", "", "", "lol ", "ngl ", "honestly ", "bro ", "@user ", "omg ", "fr ", "lmao ", "listen, ", "tbh "]
CLOSERS = ["", "", "", " 💀", " !!!", " fr", " smh", " 😂", " lol", ".", " #fyp", " 🔥", " ...", " 🙄"]
SLANG = [
    (r"\byou\b", "u"), (r"\byour\b", "ur"), (r"\bare\b", "r"), (r"\bbecause\b", "cuz"),
    (r"\bgoing to\b", "gonna"), (r"\bpeople\b", "ppl"), (r"\bplease\b", "pls"), (r"\bthe\b", "da"),
    (r"\bwant to\b", "wanna"), (r"\bkill\b", "k1ll"), (r"\bfuck\b", "fck"), (r"\bsex\b", "s3x"),
]  # fmt: skip
FILLER = [
    "Saw this on my feed this morning.",
    "Anyway, that's what I think about this video.",
    "Not going to lie, I watched this three times.",
    "I've been following this account for a while now.",
    "Scrolling at 2am again, as one does.",
    "Whatever, the comments here are wild.",
    "My friend sent me this and I had to say something.",
    "The audio quality is bad but that's not the point.",
    "I don't usually comment but here goes.",
    "People in the replies are arguing about nothing.",
    "It's raining here and I'm bored.",
    "Honestly this app gets weirder every day.",
]


def misspell(text: str, rng: random.Random) -> str:
    words = text.split()
    for _ in range(max(1, len(words) // 8)):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if rng.random() < 0.5 else w[:j] + w[j + 1 :]
    return " ".join(words)


def variants(core: str, rng: random.Random, pool: list[str], n: int) -> list[str]:
    out = [core]
    kinds = ["slang", "typo", "caps", "wrap", "paragraph", "lower", "double", "paragraph", "wrap", "typo"]
    for kind in rng.sample(kinds, min(n - 1, len(kinds))):
        t = core
        if kind == "slang":
            for pat, rep in rng.sample(SLANG, 4):
                t = re.sub(pat, rep, t, flags=re.I)
        elif kind == "typo":
            t = misspell(t, rng)
        elif kind == "caps":
            t = t.upper() + rng.choice(["!!", "!!!", ""])
        elif kind == "wrap":
            t = rng.choice(OPENERS) + t + rng.choice(CLOSERS)
        elif kind == "lower":
            t = t.lower().replace(",", "").replace("'", "")
        elif kind == "double":
            # Two sentences of the same kind: longer and with a second voice.
            t = t[0].upper() + t[1:] + ". " + rng.choice(pool).replace("{g}", rng.choice(GROUPS))
        elif kind == "paragraph":
            before = " ".join(rng.sample(FILLER, rng.randint(1, 3)))
            after = " ".join(rng.sample(FILLER, rng.randint(0, 2)))
            t = f"{before} {t[0].upper() + t[1:]}. {after}".strip()
        out.append(t)
    return out


# Veiled threats: no violent word, but the writer shows they can reach the reader in person.
STALK = [
    "found your address, I'll drop by soon",
    "nice house on elm street, would be a shame if something happened to it",
    "I know which school your kids go to. see you at pickup",
    "I've been watching you leave work every day at six",
    "I know what car you drive. sleep well tonight",
    "your mom's address wasn't hard to find. tell her I said hi",
    "got your IP, I'm closer than you think",
    "I saw you at the grocery store yesterday, you didn't see me",
    "you should lock your back door at night",
    "I know your shift ends at 10, I'll be waiting in the parking lot",
    "I know your real name and where you work now. see you around",
    "it took me ten minutes to find your house from this video",
    "I'm outside your building right now, look out the window",
    "we'll meet soon, I know where your gym is",
    "say that again when I'm standing at your front door",
    "your daughter's bus stop is the one on the corner, right?",
    "enjoy your walk home tonight, I'll be right behind you",
    "I have your address now. you'll get a visit",
]
# Ordinary meetups, addresses and "see you soon": not threats.
OK_MEET = [
    "see you soon at the meetup, can't wait!",
    "found the address of this cafe, going there this weekend",
    "what's the address of this restaurant? I need to go",
    "I know where this is, it's right next to my house!",
    "see you at the concert tonight, I'll be at the front",
    "can't wait to see you on tour next month",
    "I'll be waiting in line outside the store when it opens",
    "I walked past your bakery today, the smell was amazing",
    "my kids go to that school too, the teachers are lovely",
    "lock your doors at night, the news said there were break-ins near here",
    "we should meet up when you're in town, coffee is on me",
    "your gym looks so nice, which city is it in?",
]


def families():
    spec = [
        (S, {"S": 1}), (S3, {"S": 1, "S3": 1}), (V, {"V": 1}), (V2, {"V": 1, "V2": 1}),
        (H, {"H": 1}), (H2, {"H": 1, "H2": 1, "V": 1}), (HR, {"HR": 1}), (SH, {"SH": 1}), (OK, {}),
        (V_MORE, {"V": 1}), (OK_MORE, {}), (STALK, {"V": 1, "HR": 1}), (OK_MEET, {}),
    ]  # fmt: skip
    names = ["S", "S3", "V", "V2", "H", "H2", "HR", "SH", "OK", "Vb", "OKb", "ST", "OKc"]
    for (cores, labels), name in zip(spec, names, strict=True):
        for k, core in enumerate(cores):
            extra = dict(labels)
            # Telling someone to kill themselves is harassment that also encourages self-harm.
            if name == "HR" and re.search(r"kill yourself|kys|hang yourself|drink bleach|go die", core):
                extra["SH"] = 1
            if name == "HR" and re.search(r"coming for you|beat the shit|punch you", core):
                extra["V"] = 1
            # A threat aimed at the reader is harassment as well as violence.
            if name in ("V", "Vb") and re.search(r"\b(you|your)\b", core, re.I):
                extra["HR"] = 1
            yield f"{name}-{k}", core, {c: extra.get(c, 0) for c in CATEGORIES}, cores


def main() -> None:
    rng = random.Random(7)
    rows, seen = [], set()
    for family, core, labels, pool in families():
        fills = rng.sample(GROUPS, 4) if "{g}" in core else [None]
        per = 10 if not fills[0] else 3
        for fill in fills:
            base = core.replace("{g}", fill) if fill else core
            for text in variants(base, rng, pool, per):
                text = text.replace("{g}", rng.choice(GROUPS))
                if text.lower() in seen:
                    continue
                seen.add(text.lower())
                rows.append({"prompt": text, **labels, "source": "written", "written": True, "family": family})
    with open(HERE / "written.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = {c: sum(r[c] for r in rows) for c in CATEGORIES}
    counts["OK"] = sum(1 for r in rows if not any(r[c] for c in CATEGORIES))
    sys.stderr.write(f"{len(rows)} {counts}\n")


if __name__ == "__main__":
    main()
