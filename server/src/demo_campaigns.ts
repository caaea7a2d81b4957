/** Campaigns the demo site starts with, to show proactive invitations at work. */
export const DEMO_CAMPAIGNS = [
  {
    id: 'kb-help',
    name: 'Help on knowledge base articles',
    priority: 10,
    frequency: 'once_per_visit',
    when: {
      all: [
        { field: 'page.url', op: 'contains', value: '/kb/' },
        { field: 'page.seconds', op: 'gte', value: 8 },
      ],
    },
    message: {
      text: 'Hi {{visitor.name|there}}! Did you find what you were looking for in “{{page.title}}”?',
      followUp: 'We reply within minutes.',
      startChat: false,
    },
  },
  {
    id: 'pricing-exit',
    name: 'Leaving the pricing page',
    priority: 20,
    frequency: 'once_per_visitor',
    when: {
      all: [
        { field: 'page.url', op: 'contains', value: '/pricing' },
        { field: 'exit.seconds', op: 'exists' },
      ],
    },
    message: {
      text: 'Before you go: questions about plans? Leave your email and we get back to you.',
      collect: ['email'],
      startChat: false,
    },
  },
  {
    id: 'app-engaged',
    name: 'Engaged in the app',
    priority: 5,
    frequency: 'once_per_visit',
    when: { field: 'visit.pageViews', op: 'gte', value: 4 },
    message: {
      text: 'You have seen {{visit.pageViews}} pages: want a quick tour with a real person?',
      startChat: true,
    },
  },
]
