import './chat_panel.css'
import { ChatQueue } from '../ChatQueue/chat_queue.js'
import { ChatThread } from '../ChatThread/chat_thread.js'

/** The operator's chats: the queue beside the selected conversation. */
export function ChatPanel() {
  return (
    <aside class="card chat">
      <h2>Chats</h2>
      <div class="chat-body">
        <ChatQueue />
        <ChatThread />
      </div>
    </aside>
  )
}
