from shared.service import serve

from .main import create_app

serve(create_app())
