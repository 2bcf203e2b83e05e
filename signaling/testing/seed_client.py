"""The seed's client networking (../shared/seed/hot-update-blog.txt, HotUpdateGameClient), without
Pygame: the same socket calls in the same order — an unframed client_info sent with send(), recv(4)
for the initial config, a select() receive thread, a heartbeat thread every 10 s, exec() of the
script, base64 decode of the background, and an ack_update per hot_update.

Instead of drawing, it prints one JSON line per event on stdout for the test to read.

Usage: python3 seed_client.py HOST PORT SECONDS
"""
import base64
import hashlib
import json
import queue
import select
import socket
import sys
import threading
import time


def emit(**event):
    print(json.dumps(event), flush=True)


class SeedClient:
    def __init__(self, server_host, server_port):
        self.server_host = server_host
        self.server_port = server_port
        self.socket = None
        self.running = True
        self.version = "1.0.0"
        self.ball = (400, 300, 3, 2)
        self.script_logic = None
        self.update_queue = queue.Queue()
        self.stop_receive = threading.Event()

    def connect_to_server(self):
        try:
            self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.socket.connect((self.server_host, self.server_port))
            client_info = {
                'type': 'client_info',
                'version': self.version,
                'platform': 'Pygame Client'
            }
            self.socket.send(json.dumps(client_info).encode('utf-8'))
            length_data = self.socket.recv(4)
            if len(length_data) != 4:
                raise Exception("接收初始配置长度失败")
            message_length = int.from_bytes(length_data, byteorder='big')
            message_data = b''
            while len(message_data) < message_length:
                chunk = self.socket.recv(min(4096, message_length - len(message_data)))
                if not chunk:
                    break
                message_data += chunk
            config = json.loads(message_data.decode('utf-8'))
            if config['type'] == 'initial_config':
                self.apply_script_logic(config['script_logic'])
                self.apply_background_config(config['background_config'])
                emit(event='initial_config',
                     script_version=config['script_logic']['version'],
                     background_version=config['background_config']['version'])
                threading.Thread(target=self.send_heartbeat, daemon=True).start()
                threading.Thread(target=self.receive_updates_loop, daemon=True).start()
                return True
        except Exception as e:
            emit(event='connect_failed', error=str(e))
            return False

    def receive_updates_loop(self):
        while not self.stop_receive.is_set() and self.socket:
            try:
                ready, _, _ = select.select([self.socket], [], [], 0.5)
                if not ready:
                    continue
                length_data = b''
                while len(length_data) < 4 and not self.stop_receive.is_set():
                    chunk = self.socket.recv(4 - len(length_data))
                    if not chunk:
                        break
                    length_data += chunk
                if len(length_data) != 4:
                    emit(event='closed')
                    return
                message_length = int.from_bytes(length_data, byteorder='big')
                if message_length <= 0 or message_length > 10 * 1024 * 1024:
                    continue
                message_data = b''
                while len(message_data) < message_length and not self.stop_receive.is_set():
                    chunk = self.socket.recv(min(4096, message_length - len(message_data)))
                    if not chunk:
                        break
                    message_data += chunk
                if len(message_data) != message_length:
                    continue
                self.update_queue.put(json.loads(message_data.decode('utf-8')))
                self.handle_server_updates()
            except Exception as e:
                emit(event='receive_error', error=str(e))
                break

    def send_heartbeat(self):
        while self.running:
            heartbeat = {'type': 'heartbeat', 'timestamp': time.time()}
            json_data = json.dumps(heartbeat, ensure_ascii=False).encode('utf-8')
            try:
                self.socket.sendall(len(json_data).to_bytes(4, byteorder='big') + json_data)
            except Exception:
                return
            time.sleep(10)

    def apply_script_logic(self, script_config):
        try:
            local_scope = {}
            exec(script_config['content'], {}, local_scope)
            if 'update_ball_position' in local_scope:
                self.script_logic = local_scope['update_ball_position']
                self.ball = self.script_logic(*self.ball, 800, 600)
                emit(event='script', version=script_config['version'], ball=list(self.ball))
                return True
            emit(event='script_missing_function', version=script_config['version'])
            return False
        except Exception as e:
            emit(event='script_failed', error=str(e))
            return False

    def apply_background_config(self, bg_config):
        image = bg_config['background_image']
        digest = None
        png = False
        if image:
            data = base64.b64decode(image)
            digest = hashlib.sha256(data).hexdigest()
            png = data[:8] == b'\x89PNG\r\n\x1a\n'
        emit(event='background', version=bg_config['version'], color=bg_config['background_color'],
             image_sha256=digest, png=png)
        return True

    def handle_server_updates(self):
        while not self.update_queue.empty():
            message = self.update_queue.get_nowait()
            if message['type'] == 'hot_update':
                update_type = message['update_type']
                config = message['config']
                emit(event='hot_update', update_type=update_type, version=config['version'])
                if update_type == 'script_logic':
                    success = self.apply_script_logic(config)
                elif update_type == 'background_config':
                    success = self.apply_background_config(config)
                ack_message = {
                    'type': 'ack_update',
                    'update_type': update_type,
                    'success': success,
                    'version': config['version']
                }
                ack_json = json.dumps(ack_message, ensure_ascii=False).encode('utf-8')
                self.socket.sendall(len(ack_json).to_bytes(4, byteorder='big') + ack_json)
            else:
                emit(event='other', type=message.get('type'))


if __name__ == '__main__':
    client = SeedClient(sys.argv[1], int(sys.argv[2]))
    if client.connect_to_server():
        time.sleep(float(sys.argv[3]))
